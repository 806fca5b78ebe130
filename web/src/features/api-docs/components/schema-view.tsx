import { deref, refName, type OpenApiDocument, type SchemaObject } from '../lib/openapi';
import { typeLabel } from '../lib/schema-format';
import { InlineMarkdown } from './inline-markdown';

const MAX_DEPTH = 5;

function constraints(schema: SchemaObject): string[] {
  const out: string[] = [];
  if (schema.minLength !== undefined) out.push(`min length ${schema.minLength}`);
  if (schema.maxLength !== undefined) out.push(`max length ${schema.maxLength}`);
  if (schema.minimum !== undefined) out.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) out.push(`≤ ${schema.maximum}`);
  if (schema.pattern) out.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

function EnumValues({ values }: { values: unknown[] }) {
  return (
    <span className="schema__enum">
      One of{' '}
      {values.map((v, i) => (
        <span key={String(v)}>
          {i > 0 && ', '}
          <code>{JSON.stringify(v)}</code>
        </span>
      ))}
    </span>
  );
}

interface Props {
  doc: OpenApiDocument;
  schema: SchemaObject | undefined;
  depth?: number;
  seen?: readonly string[];
}

/** Renders a schema as a readable property tree; $refs are expanded once per branch to survive cycles. */
export function SchemaView({ doc, schema, depth = 0, seen = [] }: Props) {
  if (!schema) return <p className="muted small">No schema.</p>;
  const ref = schema.$ref;
  if (ref && seen.includes(ref)) {
    return <p className="muted small">{refName(ref)} (recursive)</p>;
  }
  const resolved = deref(doc, schema);
  if (!resolved) return <p className="muted small">Unresolved reference {ref}</p>;
  const nextSeen = ref ? [...seen, ref] : seen;

  const composite = resolved.oneOf ?? resolved.anyOf ?? resolved.allOf;
  if (composite) {
    const word = resolved.oneOf ? 'One of' : resolved.anyOf ? 'Any of' : 'All of';
    return (
      <div className="schema">
        <p className="schema__note">{word}:</p>
        <ul className="schema__list">
          {composite.map((s, i) => (
            <li key={i} className="schema__prop">
              <SchemaView doc={doc} schema={s} depth={depth + 1} seen={nextSeen} />
            </li>
          ))}
        </ul>
      </div>
    );
  }

  const type = Array.isArray(resolved.type) ? resolved.type[0] : resolved.type;
  if (type === 'array') {
    return (
      <div className="schema">
        <p className="schema__note">
          Array of <code>{typeLabel(doc, resolved.items)}</code>
        </p>
        {depth < MAX_DEPTH && <SchemaView doc={doc} schema={resolved.items} depth={depth + 1} seen={nextSeen} />}
      </div>
    );
  }

  const props = resolved.properties ? Object.entries(resolved.properties) : [];
  if (props.length === 0) {
    return (
      <div className="schema">
        <p className="schema__note">
          <code>{typeLabel(doc, resolved)}</code>
          {resolved.description && <span className="muted"> {resolved.description}</span>}
        </p>
        {resolved.enum && <EnumValues values={resolved.enum} />}
      </div>
    );
  }

  const required = new Set(resolved.required ?? []);
  return (
    <ul className="schema schema__list">
      {props.map(([name, raw]) => {
        const prop = deref(doc, raw) ?? {};
        const propType = Array.isArray(prop.type) ? prop.type[0] : prop.type;
        const nested =
          depth < MAX_DEPTH &&
          (!!prop.properties || propType === 'array' || !!prop.oneOf || !!prop.anyOf || !!prop.allOf);
        const extras = constraints(prop);
        return (
          <li key={name} className="schema__prop">
            <div className="schema__head">
              <code className="schema__name">{name}</code>
              <span className="schema__type">{typeLabel(doc, raw)}</span>
              {required.has(name) && <span className="schema__req">required</span>}
            </div>
            <InlineMarkdown text={prop.description} className="schema__desc" />
            {prop.enum && <EnumValues values={prop.enum} />}
            {extras.length > 0 && <p className="schema__constraints">{extras.join(' · ')}</p>}
            {nested && (
              <div className="schema__nested">
                <SchemaView doc={doc} schema={raw} depth={depth + 1} seen={nextSeen} />
              </div>
            )}
          </li>
        );
      })}
      {resolved.additionalProperties === false && depth === 0 && (
        <li className="schema__prop muted small">No other properties allowed.</li>
      )}
    </ul>
  );
}
