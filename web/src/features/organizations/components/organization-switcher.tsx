import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useOrganizationStore } from '@/stores/organization-store';
import type { Organization } from '@/types';
import { useOrganizationList, useOrganizations } from '../hooks/use-organizations';
import { organizationLabel, ROLE_LABELS } from '../lib/roles';
import { CreateOrganizationDialog } from './create-organization-dialog';

type FocusTarget = 'checked' | 'first' | 'last';

function menuItems(menu: HTMLElement | null): HTMLElement[] {
  if (!menu) return [];
  return Array.from(menu.querySelectorAll<HTMLElement>('[role="menuitem"], [role="menuitemradio"]'));
}

function Check({ on }: { on: boolean }) {
  return (
    <svg className="org-menu__check" viewBox="0 0 16 16" aria-hidden="true">
      {on && <path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />}
    </svg>
  );
}

/**
 * The header's organization switcher: a menu button (WAI-ARIA menu pattern) listing the personal organization as
 * "Personal" and each team organization with the user's role, plus "Create organization…". Choosing one makes it
 * the organization every request acts for; the routed page remounts with its data.
 */
export function OrganizationSwitcher() {
  const { organizations, error, loading, load, activeId, active } = useOrganizations();
  const select = useOrganizationStore((s) => s.select);
  const upsert = useOrganizationList((s) => s.upsert);
  const [open, setOpen] = useState<FocusTarget | null>(null);
  const [creating, setCreating] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);
  const id = useId();
  const menuId = `${id}-menu`;
  const buttonId = `${id}-button`;

  const label = activeId ? (active ? organizationLabel(active) : 'Organization') : 'Personal';

  // Focus an item when the menu opens.
  useEffect(() => {
    if (!open) return;
    const items = menuItems(menuRef.current);
    const checked = items.find((el) => el.getAttribute('aria-checked') === 'true');
    const target = open === 'last' ? items[items.length - 1] : open === 'checked' ? (checked ?? items[0]) : items[0];
    target?.focus();
  }, [open]);

  // A click or tap outside closes it (focus stays wherever the user put it).
  useEffect(() => {
    if (!open) return undefined;
    const onPointer = (e: PointerEvent | MouseEvent) => {
      if (rootRef.current && e.target instanceof Node && !rootRef.current.contains(e.target)) setOpen(null);
    };
    document.addEventListener('mousedown', onPointer);
    return () => document.removeEventListener('mousedown', onPointer);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(null);
    if (refocus) buttonRef.current?.focus();
  };

  const choose = (org: Organization) => {
    close(true);
    const next = org.personal ? null : org.id;
    if (next === activeId) return;
    select(next);
    setAnnouncement(`Switched to ${organizationLabel(org)}.`);
  };

  const onButtonKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(e.key === 'ArrowDown' ? 'first' : 'last');
    }
  };

  const onMenuKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const items = menuItems(menuRef.current);
    const index = items.indexOf(document.activeElement as HTMLElement);
    const focusAt = (i: number) => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        focusAt(index + 1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        focusAt(index - 1);
        break;
      case 'Home':
        e.preventDefault();
        focusAt(0);
        break;
      case 'End':
        e.preventDefault();
        focusAt(items.length - 1);
        break;
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        close(true);
        break;
      case 'Tab':
        // Leave the menu the way Tab goes; it closes behind.
        setOpen(null);
        break;
      default:
        // Type-ahead: the next item starting with the typed character.
        if (e.key.length === 1 && /\S/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
          const char = e.key.toLowerCase();
          const order = [...items.slice(index + 1), ...items.slice(0, index + 1)];
          order.find((el) => (el.textContent ?? '').trim().toLowerCase().startsWith(char))?.focus();
        }
    }
  };

  let orgItems;
  if (organizations) {
    orgItems = organizations.map((o) => {
      const checked = active ? o.id === active.id : false;
      return (
        <li role="none" key={o.id}>
          <button
            type="button"
            role="menuitemradio"
            aria-checked={checked}
            tabIndex={-1}
            className="org-menu__item"
            onClick={() => choose(o)}
          >
            <Check on={checked} />
            <span className="org-menu__text">
              <span className="org-menu__name">{organizationLabel(o)}</span>
              <span className="org-menu__meta">
                <span className="sr-only">, </span>
                {o.personal ? 'Just you' : `${ROLE_LABELS[o.role]}${o.status === 'suspended' ? ' · suspended' : ''}`}
              </span>
            </span>
          </button>
        </li>
      );
    });
  } else if (error && !loading) {
    orgItems = (
      <li role="none">
        <button
          type="button"
          role="menuitem"
          tabIndex={-1}
          className="org-menu__item org-menu__item--status"
          onClick={() => {
            close(true);
            void load();
          }}
        >
          Could not load your organizations. Try again
        </button>
      </li>
    );
  } else {
    orgItems = (
      <li role="none">
        <button type="button" role="menuitem" tabIndex={-1} aria-disabled="true" className="org-menu__item org-menu__item--status">
          Loading organizations…
        </button>
      </li>
    );
  }

  return (
    <div className="org-switcher" ref={rootRef}>
      <button
        ref={buttonRef}
        id={buttonId}
        type="button"
        className="org-switcher__button"
        aria-haspopup="menu"
        aria-expanded={open !== null}
        aria-controls={open ? menuId : undefined}
        onClick={() => (open ? close(false) : setOpen('checked'))}
        onKeyDown={onButtonKeyDown}
        data-testid="org-switcher"
      >
        <span className="sr-only">Organization: </span>
        <span className="org-switcher__name">{label}</span>
        {active && !active.personal && <span className="org-switcher__role">{ROLE_LABELS[active.role]}</span>}
        <svg className="org-switcher__chevron" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      {open && (
        <ul ref={menuRef} id={menuId} role="menu" aria-labelledby={buttonId} className="org-menu card" onKeyDown={onMenuKeyDown}>
          {orgItems}
          <li role="separator" className="org-menu__separator" />
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="org-menu__item org-menu__item--action"
              onClick={() => {
                close(false);
                setCreating(true);
              }}
            >
              <svg className="org-menu__check" viewBox="0 0 16 16" aria-hidden="true">
                <path d="M8 3.5v9M3.5 8h9" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
              </svg>
              <span className="org-menu__text">Create organization…</span>
            </button>
          </li>
        </ul>
      )}
      <span role="status" className="sr-only">
        {announcement}
      </span>
      {creating && (
        <CreateOrganizationDialog
          returnFocusRef={buttonRef}
          onClose={() => setCreating(false)}
          onCreated={(org) => {
            setCreating(false);
            upsert(org);
            select(org.id, {
              tone: 'success',
              text: `Created “${org.name}”. You are now working in it: keys, usage and billing here belong to it.`,
              link: { to: '/organization/members', label: 'Invite people' },
            });
            setAnnouncement(`Switched to ${org.name}.`);
          }}
        />
      )}
    </div>
  );
}
