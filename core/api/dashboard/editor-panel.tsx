// The site editor (admin): forms for every list of the config (real servers, LVS settings, nodes,
// services, checks, VMs, storage, fencing), the raw YAML view, and the preview-then-save area.
/** @jsxImportSource hono/jsx */
import type { Collection, EditorModel, EntryForm, FormField } from './editor-model.ts'

export function EditorPanel({ model }: { model: EditorModel }) {
  return (
    <section class="panel editor" id="editor-panel" data-version={model.version}>
      <h2 id="editor-heading" tabindex={-1}>
        Edit the site
      </h2>
      <button type="button" data-editor-act="close">
        Close the editor
      </button>
      <p class="muted">
        Every change is checked by the same loader as <code>tandem check</code>, previewed (diff,
        what <code>lvs.reconcile</code> would run, the policies whose matches change), then saved
        over the version you opened. Lists and maps take one item a line.
      </p>
      <div id="editor-errors" class="error" role="alert" aria-live="assertive" />
      <p id="editor-status" class="muted" role="status" aria-live="polite" />
      <PreviewArea />
      <datalist id="editor-node-names">
        {model.nodeNames.map((name) => (
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
              id={`rs-${service.name}-${server.label}`}
              title={`Real server ${server.label} of ${service.name}`}
              entry={server}
              fields={model.realServerFields}
              removable
            />
          ))}
          <AddEntry
            id={`add-${service.name}`}
            title={`Add a real server to ${service.name}`}
            at={['services', { name: service.name }, 'real_servers']}
            field={service.nextRealServer}
            fields={[NODE_KEY, ...model.realServerFields]}
          />
        </div>
      ))}
      {model.collections.map((list) => (
        <CollectionEditor list={list} />
      ))}
      <RawView files={model.files} />
    </section>
  )
}

const NODE_KEY: FormField = { key: 'node', kind: 'text', required: true }

/** A list of the config, folded: its entries' forms (edit, remove) and a form to add one. */
function CollectionEditor({ list }: { list: Collection }) {
  const of = list.of ? ` of ${list.of}` : ''
  const key = list.at[0] === 'fencing' && list.at[1] === 'nodes' ? 'node' : 'name'
  return (
    <details class="collection" id={`c-${safe(list.id)}`}>
      <summary>
        {list.title} ({list.entries.length})
      </summary>
      {list.entries.map((entry) => (
        <EntryEditor
          id={`${list.id}-${entry.label}`}
          title={`${capital(list.noun)} ${entry.label}${of}`}
          entry={entry}
          fields={list.fields.filter((f) => f.key !== key)}
          removable
        />
      ))}
      <AddEntry
        id={`add-${list.id}`}
        title={`Add a ${list.noun}${list.of ? ` to ${list.of}` : ''}`}
        at={list.at}
        field={list.next}
        fields={list.fields}
      />
    </details>
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

/** A form that appends a new entry built from its filled inputs (empty ones are left out). */
function AddEntry(props: {
  id: string
  title: string
  at: Collection['at']
  field: string
  fields: FormField[]
}) {
  const id = safe(props.id)
  return (
    <form
      class="entry add"
      novalidate
      data-editor-form="add"
      data-at={JSON.stringify(props.at)}
      data-field={props.field}
      aria-label={props.title}
      id={`form-${id}`}
    >
      <fieldset>
        <legend>{props.title}</legend>
        {props.fields.map((field) => (
          <Input
            form={id}
            field={field}
            value=""
            list={field.key === 'node' || field.key === 'host' ? 'editor-node-names' : undefined}
          />
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
    'data-items': field.items,
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
      {field.choices ? (
        <select {...common}>
          <option value="" selected={props.value === ''}>
            {field.placeholder ? `(default: ${field.placeholder})` : '(not set)'}
          </option>
          {field.choices.map((choice) => (
            <option value={choice} selected={props.value === choice}>
              {choice}
            </option>
          ))}
        </select>
      ) : MULTI_LINE.has(field.kind) ? (
        <textarea
          {...common}
          rows={Math.max(2, props.value.split('\n').length)}
          placeholder={field.placeholder}
          spellcheck={false}
        >
          {`\n${props.value}`}
        </textarea>
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

/** Lists, maps and fencing levels: one item a line. */
const MULTI_LINE = new Set<FormField['kind']>(['list', 'map', 'levels'])

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** An id fragment from a name or a dotted key. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_')
}
