// Friendly aliases over the generated contract types (api.d.ts is generated; see scripts/gen-api.mjs).
import type { components } from './api';

type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Readiness = Schemas['Readiness'];
export type Health = Schemas['Health'];
export type VersionInfo = Schemas['Version'];
export type ClientErrorReport = Schemas['ClientErrorReport'];
