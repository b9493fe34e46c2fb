// The site editor (admin): forms for real servers, LVS settings and nodes, the raw YAML view,
// and the preview-then-save area the editor's client script fills in.
/** @jsxImportSource hono/jsx */
import type { EditorModel, EntryForm, FormField } from './editor-model.ts'

export function EditorPanel({ model }: { model: EditorModel }) {
  const nodeNames = model.nodes.map((n) => n.values.name ?? '')
  return (
    <section class="panel editor" id="editor-panel" data-version={model.version}>
      <h2 id="editor-heading" tabindex={-1}>
        Edit the site
      </h2>
      <button type="button" data-editor-act="close">
        Close the editor
      </button>
      <p class="muted">
        Every change is checked by the same loader as <code>tandem check</code>, previewed (diff and
        what <code>lvs.reconcile</code> would run), then saved over the version you opened. Checks,
        VMs, storage and fence devices are edited in the raw YAML view below.
      </p>
      <div id="editor-errors" class="error" role="alert" aria-live="assertive" />
      <p id="editor-status" class="muted" role="status" aria-live="polite" />
      <PreviewArea />
      <datalist id="editor-node-names">
        {nodeNames.map((name) => (
          <option value={name} />
        ))}
      </datalist>
      {model.services.map((service) => (
        <div class="svc" data-editor-service={service.name}>
          <h3>Service {service.name}</h3>
          {service.lvs ? (
            <EntryEditor
              id={`lvs-${service.name}`}
              title={`LVS settings of ${service.name}`}
              entry={service.lvs}
              fields={model.lvsFields}
            />
          ) : null}
          {service.realServers.map((server) => (
            <EntryEditor
              id={`rs-${service.name}-${server.values.node}`}
              title={`Real server ${server.values.node} of ${service.name}`}
              entry={server}
              fields={model.realServerFields}
              removable
            />
          ))}
          <AddRealServer
            service={service.name}
            field={service.nextRealServer}
            fields={model.realServerFields}
          />
        </div>
      ))}
      <h3>Nodes</h3>
      {model.nodes.map((node) => (
        <EntryEditor
          id={`node-${node.values.name}`}
          title={`Node ${node.values.name}`}
          entry={node}
          fields={model.nodeFields}
        />
      ))}
      <RawView files={model.files} />
    </section>
  )
}

function PreviewArea() {
  return (
    <>
      <section id="editor-preview" class="editor-preview" hidden aria-labelledby="preview-heading">
        <h3 id="preview-heading" tabindex={-1}>
          Preview
        </h3>
        <h4>Diff</h4>
        <pre id="preview-diff" class="mono diff" />
        <h4>What lvs.reconcile would run</h4>
        <ul id="preview-commands" class="mono" />
        <h4>Checks and real servers</h4>
        <ul id="preview-targets" />
        <h4>Policies whose matches change</h4>
        <ul id="preview-policies" />
        <form id="editor-save" novalidate>
          <label for="save-message">Why (goes to the audit log)</label>
          <input id="save-message" name="message" type="text" required />
          <label class="inline">
            <input id="save-apply" name="apply" type="checkbox" /> Apply now (run lvs.reconcile
            after the daemon reloads)
          </label>
          <label class="inline">
            <input id="save-commit" name="commit" type="checkbox" /> Commit to git
          </label>
          <button type="submit" class="approve">
            Save
          </button>
          <button type="button" data-editor-act="cancel">
            Discard preview
          </button>
        </form>
      </section>
      <section
        id="editor-conflict"
        class="editor-conflict"
        hidden
        aria-labelledby="conflict-heading"
      >
        <h3 id="conflict-heading" tabindex={-1}>
          The config changed on disk since you opened it
        </h3>
        <p>Nothing was written. Compare, then start again from the files as they are now.</p>
        <div class="cols">
          <div>
            <h4>On disk now</h4>
            <div id="conflict-current" />
          </div>
          <div>
            <h4>Your change, on top of it</h4>
            <pre id="conflict-mine" class="mono diff" />
          </div>
        </div>
        <button type="button" data-editor-act="reopen">
          Start again from the files on disk
        </button>
      </section>
    </>
  )
}

/** A form over one existing entry: changed inputs become `set`, emptied ones `remove`. */
function EntryEditor(props: {
  id: string
  title: string
  entry: EntryForm
  fields: FormField[]
  removable?: boolean
}) {
  const { id, entry } = props
  return (
    <form
      class="entry"
      novalidate
      data-editor-form="edit"
      data-at={JSON.stringify(entry.at)}
      data-field={entry.field}
      aria-label={props.title}
      id={`form-${safe(id)}`}
    >
      <fieldset>
        <legend>{props.title}</legend>
        {props.fields.map((field) => (
          <Input form={safe(id)} field={field} value={entry.values[field.key] ?? ''} />
        ))}
        <p class="error form-error" id={`e-${safe(id)}`} />
        <button type="submit">Preview change</button>
        {props.removable ? (
          <button type="button" data-editor-act="remove">
            Preview removal
          </button>
        ) : null}
      </fieldset>
    </form>
  )
}

function AddRealServer(props: { service: string; field: string; fields: FormField[] }) {
  const id = safe(`add-${props.service}`)
  const node: FormField = { key: 'node', kind: 'text', required: true }
  return (
    <form
      class="entry add"
      novalidate
      data-editor-form="add"
      data-at={JSON.stringify(['services', { name: props.service }, 'real_servers'])}
      data-field={props.field}
      aria-label={`Add a real server to ${props.service}`}
      id={`form-${id}`}
    >
      <fieldset>
        <legend>Add a real server to {props.service}</legend>
        <Input form={id} field={node} value="" list="editor-node-names" />
        {props.fields.map((field) => (
          <Input form={id} field={field} value="" />
        ))}
        <p class="error form-error" id={`e-${id}`} />
        <button type="submit">Preview addition</button>
      </fieldset>
    </form>
  )
}

function Input(props: { form: string; field: FormField; value: string; list?: string }) {
  const { field, form } = props
  const id = `f-${form}-${safe(field.key)}`
  const error = `e-${form}-${safe(field.key)}`
  const common = {
    id,
    name: field.key,
    'data-kind': field.kind,
    'data-initial': props.value,
    'aria-describedby': error,
  }
  return (
    <div class="field">
      <label for={id}>
        {field.key}
        {field.required ? ' (required)' : ''}
        {field.hint ? <span class="muted"> {field.hint}</span> : null}
      </label>
      {field.kind === 'choice' ? (
        <select {...common}>
          <option value="" selected={props.value === ''}>
            {field.placeholder ? `(default: ${field.placeholder})` : '(not set)'}
          </option>
          {(field.choices ?? []).map((choice) => (
            <option value={choice} selected={props.value === choice}>
              {choice}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type="text"
          inputmode={field.kind === 'integer' ? 'numeric' : undefined}
          value={props.value}
          placeholder={field.placeholder}
          list={props.list}
          autocomplete="off"
        />
      )}
      <span class="error field-error" id={error} />
    </div>
  )
}

function RawView({ files }: { files: EditorModel['files'] }) {
  return (
    <form class="entry raw" novalidate data-editor-form="raw" aria-label="Raw YAML" id="form-raw">
      <h3>Raw YAML</h3>
      {files.map((file, i) => (
        <div class="field">
          <label for={`raw-${i}`}>{file.path}</label>
          <textarea
            id={`raw-${i}`}
            name={file.path}
            rows={Math.min(40, file.text.split('\n').length + 1)}
            spellcheck={false}
            aria-describedby={`raw-e-${i}`}
          >
            {/* HTML drops one newline right after <textarea>: this one, not the file's own. */}
            {`\n${file.text}`}
          </textarea>
          <ul class="error field-error" id={`raw-e-${i}`} data-raw-file={file.path} />
        </div>
      ))}
      <p class="error form-error" id="e-raw" />
      <button type="submit">Preview raw change</button>
    </form>
  )
}

/** An id fragment from a name or a dotted key. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_')
}
