// Boots the kernel lab VM for one test file: a skip names its reason, and where CI requires the
// real-kernel suites (TANDEM_KERNEL_REQUIRED=1, or the older TANDEM_IPVS_REQUIRED=1) it fails.
import { startIpvsVm } from './vm.mjs'

export type KernelVm = Awaited<ReturnType<typeof startIpvsVm>>

/** The VM, or why it cannot run here (qemu missing, no kernel package to fetch, ...). */
export async function bootKernelVm(suite: string): Promise<KernelVm | { skipped: string }> {
  const started = Date.now()
  try {
    const vm = await startIpvsVm({ log: (line) => console.log(`[kernel-vm] ${line}`) })
    console.log(`[${suite}] kernel lab VM up in ${Date.now() - started} ms`)
    return vm
  } catch (error) {
    return skipOrFail(suite, error instanceof Error ? error.message : String(error))
  }
}

/** A skip, warned about, unless this run must have the real kernel: then it throws. */
export function skipOrFail(suite: string, why: string): { skipped: string } {
  if (kernelRequired())
    throw new Error(`[${suite}] the real-kernel suite is required but cannot run: ${why}`)
  console.warn(`[${suite}] real-kernel suite SKIPPED: ${why}`)
  return { skipped: why }
}

function kernelRequired() {
  return process.env.TANDEM_KERNEL_REQUIRED === '1' || process.env.TANDEM_IPVS_REQUIRED === '1'
}
