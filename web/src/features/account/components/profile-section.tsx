import { useState, type ChangeEvent } from 'react';
import { Avatar } from '@/components/avatar';
import { TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import type { ProfileUpdate, User } from '@/types';
import { updateProfile } from '../api/profile';
import { SettingsSection } from './settings-section';

const FIELDS = ['name', 'company', 'avatarUrl'] as const;
type Field = (typeof FIELDS)[number];

function avatarUrlError(value: string): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  try {
    const url = new URL(v);
    if (url.protocol !== 'https:') return 'Use an https:// address.';
  } catch {
    return 'Enter a full address, like https://example.com/me.png.';
  }
  return undefined;
}

/** Only what changed goes to the server; an emptied field is sent as null (cleared). */
function changesFrom(user: User, values: Record<Field, string>): ProfileUpdate {
  const changes: ProfileUpdate = {};
  for (const key of FIELDS) {
    const next = values[key].trim() || null;
    if (next !== (user[key] ?? null)) changes[key] = next;
  }
  return changes;
}

export function ProfileSection({ user }: { user: User }) {
  const [values, setValues] = useState<Record<Field, string>>({
    name: user.name ?? '',
    company: user.company ?? '',
    avatarUrl: user.avatarUrl ?? '',
  });
  const [saved, setSaved] = useState(false);
  const form = useForm(FIELDS);

  const set = (key: Field) => (e: ChangeEvent<HTMLInputElement>) => {
    setSaved(false);
    setValues((v) => ({ ...v, [key]: e.target.value }));
  };

  const onSubmit = form.handleSubmit(
    async () => {
      const changes = changesFrom(user, values);
      if (Object.keys(changes).length === 0) {
        setSaved(true);
        return;
      }
      const updated = await updateProfile(changes);
      useAuthStore.getState().setUser(updated);
      setValues({ name: updated.name ?? '', company: updated.company ?? '', avatarUrl: updated.avatarUrl ?? '' });
      setSaved(true);
    },
    () => compact({ avatarUrl: avatarUrlError(values.avatarUrl) }),
  );

  return (
    <SettingsSection id="profile" title="Profile" description="How you appear in Tollgate.">
      <form className="form" noValidate onSubmit={onSubmit}>
        <div className="profile-preview">
          <Avatar url={values.avatarUrl.trim() || null} name={values.name} email={user.email} size={56} />
          <div>
            <p className="profile-preview__name">{values.name.trim() || user.email}</p>
            <p className="muted small">{user.email}</p>
          </div>
        </div>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {saved && <Notice>Profile saved.</Notice>}
        <div className="form__grid">
          <TextField {...form.field('name')} label="Name" optional autoComplete="name" maxLength={200} value={values.name} onChange={set('name')} />
          <TextField
            {...form.field('company')}
            label="Company"
            optional
            autoComplete="organization"
            maxLength={200}
            value={values.company}
            onChange={set('company')}
          />
        </div>
        <TextField
          {...form.field('avatarUrl')}
          label="Avatar URL"
          optional
          type="url"
          inputMode="url"
          placeholder="https://"
          hint="A link to a square image, starting with https://. Leave empty to use your initials."
          maxLength={2048}
          value={values.avatarUrl}
          onChange={set('avatarUrl')}
        />
        <div className="form__actions">
          <SubmitButton pending={form.pending} pendingLabel="Saving…">
            Save profile
          </SubmitButton>
        </div>
      </form>
    </SettingsSection>
  );
}
