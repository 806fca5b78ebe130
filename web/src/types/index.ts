// Friendly aliases over the generated contract types (api.d.ts is generated; see scripts/gen-api.mjs).
import type { components } from './api';

type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Readiness = Schemas['Readiness'];
export type Health = Schemas['Health'];
export type VersionInfo = Schemas['Version'];
export type ClientErrorReport = Schemas['ClientErrorReport'];

export type User = Schemas['User'];
export type AuthResult = Schemas['AuthResult'];
export type MfaChallenge = Schemas['MfaChallenge'];
export type RegisterRequest = Schemas['RegisterRequest'];
export type LoginRequest = Schemas['LoginRequest'];
export type EmailVerified = Schemas['EmailVerified'];
export type Accepted = Schemas['Accepted'];
export type ProfileUpdate = Schemas['ProfileUpdate'];
export type Session = Schemas['Session'];
export type SessionList = Schemas['SessionList'];
export type TwoFactorStatus = Schemas['TwoFactorStatus'];
export type TwoFactorSetup = Schemas['TwoFactorSetup'];
export type RecoveryCodes = Schemas['RecoveryCodes'];
