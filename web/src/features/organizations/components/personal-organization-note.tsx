import { useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { useOrganizationStore } from '@/stores/organization-store';
import { useOrganizationList } from '../hooks/use-organizations';
import { CreateOrganizationDialog } from './create-organization-dialog';

/** For a personal organization: why there is nobody to invite, and the way to a team organization. */
export function PersonalOrganizationNote() {
  const [creating, setCreating] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const navigate = useNavigate();
  const select = useOrganizationStore((s) => s.select);
  const upsert = useOrganizationList((s) => s.upsert);

  return (
    <div className="callout callout--info org-personal" data-testid="personal-organization-note">
      <p>
        <strong>This is your personal organization.</strong> Personal organizations have exactly one member, you, and
        cannot be shared. To work with other people, create a team organization: it has its own API keys, plan and
        invoices, and you can invite members into it.
      </p>
      <div>
        <button ref={buttonRef} type="button" className="btn btn--primary btn--sm" onClick={() => setCreating(true)}>
          Create a team organization
        </button>
      </div>
      {creating && (
        <CreateOrganizationDialog
          returnFocusRef={buttonRef}
          onClose={() => setCreating(false)}
          onCreated={(org) => {
            setCreating(false);
            upsert(org);
            navigate('/organization/members');
            select(org.id, { tone: 'success', text: `Created “${org.name}”. You are now working in it: invite people below.` });
          }}
        />
      )}
    </div>
  );
}
