// @ts-check
// How ipvsadm ends early: fail() prints a message and exits 2; tryhelp_exit() exits 255.

/** A non-zero exit with what the tool printed on stderr. */
export class Exit extends Error {
  /** @param {number} code @param {string} stderr */
  constructor(code, stderr) {
    super(stderr)
    this.code = code
    this.stderr = stderr
  }
}

/** ipvsadm's `fail(2, ...)`: the message and a newline on stderr, exit status 2. */
export const fail = (/** @type {string} */ message) => new Exit(2, `${message}\n`)

/** ipvsadm's `tryhelp_exit(argv[0], -1)`; the lab always calls itself plain `ipvsadm`. */
export const tryHelp = () =>
  new Exit(255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n")
