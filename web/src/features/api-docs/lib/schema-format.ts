import { refName, type OpenApiDocument, type SchemaObject } from './openapi';

/** A short human type name, e.g. "array of Problem" or "string (uuid)". */
export function typeLabel(doc: OpenApiDocument, schema: SchemaObject | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return refName(schema.$ref) ?? 'object';
  if (schema.oneOf) return schema.oneOf.map((s) => typeLabel(doc, s)).join(' | ');
  if (schema.anyOf) return schema.anyOf.map((s) => typeLabel(doc, s)).join(' | ');
  if (schema.allOf) return schema.allOf.map((s) => typeLabel(doc, s)).join(' & ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return `array of ${typeLabel(doc, schema.items)}`;
  if (!type) return schema.properties ? 'object' : 'any';
  return schema.format ? `${type} (${schema.format})` : type;
}
