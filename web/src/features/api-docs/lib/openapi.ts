// Minimal OpenAPI 3.x shapes the reference page needs; the document arrives as untyped JSON.
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  additionalProperties?: boolean | SchemaObject;
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  allOf?: SchemaObject[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  nullable?: boolean;
}

export interface MediaTypeObject {
  schema?: SchemaObject;
}

export interface ParameterObject {
  $ref?: string;
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
  description?: string;
  required?: boolean;
  schema?: SchemaObject;
}

export interface RequestBodyObject {
  $ref?: string;
  description?: string;
  required?: boolean;
  content?: Record<string, MediaTypeObject>;
}

export interface ResponseObject {
  $ref?: string;
  description?: string;
  headers?: Record<string, { description?: string; schema?: SchemaObject; $ref?: string }>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: ParameterObject[];
  requestBody?: RequestBodyObject;
  responses?: Record<string, ResponseObject>;
  deprecated?: boolean;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  key: string;
  method: HttpMethod;
  path: string;
  tag: string;
  op: OperationObject;
  parameters: ParameterObject[];
}

export interface TagGroup {
  name: string;
  description?: string;
  operations: Operation[];
}

export function isOpenApiDocument(value: unknown): value is OpenApiDocument {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.openapi === 'string' && !!v.paths && typeof v.paths === 'object';
}

/** Resolves a local JSON pointer ("#/components/schemas/X"); unknown refs come back undefined. */
export function resolvePointer(doc: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Follows $ref chains (bounded, so a cyclic ref cannot hang the page). */
export function deref<T extends { $ref?: string }>(doc: OpenApiDocument, value: T | undefined): T | undefined {
  let current: T | undefined = value;
  for (let i = 0; i < 10 && current?.$ref; i++) {
    current = resolvePointer(doc, current.$ref) as T | undefined;
  }
  return current;
}

export function refName(ref: string | undefined): string | undefined {
  return ref?.split('/').pop();
}

export function groupOperations(doc: OpenApiDocument): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const tag of doc.tags ?? []) {
    groups.set(tag.name, { name: tag.name, ...(tag.description ? { description: tag.description } : {}), operations: [] });
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!item || typeof item !== 'object') continue;
    const shared = Array.isArray(item.parameters) ? (item.parameters as ParameterObject[]) : [];
    for (const method of HTTP_METHODS) {
      const op = item[method] as OperationObject | undefined;
      if (!op || typeof op !== 'object') continue;
      const tag = op.tags?.[0] ?? 'default';
      if (!groups.has(tag)) groups.set(tag, { name: tag, operations: [] });
      // Operation-level parameters override path-level ones with the same name+location.
      const own = (op.parameters ?? []).map((p) => deref(doc, p)).filter((p): p is ParameterObject => !!p);
      const inherited = shared
        .map((p) => deref(doc, p))
        .filter((p): p is ParameterObject => !!p && !own.some((o) => o.name === p.name && o.in === p.in));
      groups.get(tag)!.operations.push({
        key: `${method} ${path}`,
        method,
        path,
        tag,
        op,
        parameters: [...inherited, ...own],
      });
    }
  }
  return [...groups.values()].filter((g) => g.operations.length > 0);
}

export function filterGroups(groups: TagGroup[], query: string): TagGroup[] {
  const q = query.trim().toLowerCase();
  if (!q) return groups;
  return groups
    .map((g) => ({
      ...g,
      operations: g.operations.filter((o) =>
        [o.method, o.path, o.tag, o.op.summary, o.op.operationId, o.op.description]
          .filter(Boolean)
          .some((s) => String(s).toLowerCase().includes(q)),
      ),
    }))
    .filter((g) => g.operations.length > 0);
}

export function operationAnchor(o: Operation): string {
  return o.op.operationId ?? `${o.method}-${o.path}`.replace(/[^a-zA-Z0-9-]+/g, '-');
}
