import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { OTHER_ORG, PERSONAL_ORG, resetOrganizations, TEAM_ORG, team } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import { useOrganizationStore } from '@/stores/organization-store';
import { createOrganization, listOrganizations } from '../api/organizations';
import { OrganizationSwitcher } from './organization-switcher';

vi.mock('../api/organizations', () => ({
  listOrganizations: vi.fn(),
  createOrganization: vi.fn(),
}));

function renderSwitcher() {
  return render(
    <TestRouter url="/keys">
      <OrganizationSwitcher />
    </TestRouter>,
  );
}

describe('OrganizationSwitcher', () => {
  beforeEach(() => {
    vi.mocked(listOrganizations).mockReset();
    vi.mocked(createOrganization).mockReset();
    resetOrganizations();
    signInAs();
  });
  afterEach(() => resetAuth());

  it('labels the personal organization "Personal" and lists team organizations with my role', async () => {
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, TEAM_ORG, OTHER_ORG]);
    const user = userEvent.setup();
    renderSwitcher();
    const button = screen.getByRole('button', { name: /Organization: Personal/ });
    expect(button).toHaveAttribute('aria-haspopup', 'menu');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await waitFor(() => expect(listOrganizations).toHaveBeenCalledTimes(1));

    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const menu = screen.getByRole('menu', { name: /Organization/ });
    const items = within(menu).getAllByRole('menuitemradio');
    expect(items.map((i) => i.textContent)).toEqual(['Personal, Just you', 'Acme Corp, Admin', 'Globex, Member']);
    expect(items[0]).toHaveAttribute('aria-checked', 'true');
    expect(items[1]).toHaveAttribute('aria-checked', 'false');
    // Focus starts on the checked item.
    expect(items[0]).toHaveFocus();
    expect(within(menu).getByRole('menuitem', { name: 'Create organization…' })).toBeInTheDocument();
  });

  it('switches organization with the keyboard and remembers the choice', async () => {
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, TEAM_ORG, OTHER_ORG]);
    const user = userEvent.setup();
    renderSwitcher();
    const button = screen.getByRole('button', { name: /Organization: Personal/ });
    await waitFor(() => expect(listOrganizations).toHaveBeenCalled());
    button.focus();
    await user.keyboard('{ArrowDown}');
    const items = screen.getAllByRole('menuitemradio');
    expect(items[0]).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(items[1]).toHaveFocus();
    await user.keyboard('{End}');
    expect(screen.getByRole('menuitem', { name: 'Create organization…' })).toHaveFocus();
    await user.keyboard('{Home}{ArrowDown}{Enter}');

    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(useOrganizationStore.getState().activeId).toBe(TEAM_ORG.id);
    expect(window.localStorage.getItem(`tollgate.activeOrganization.${'00000000-0000-4000-8000-000000000001'}`)).toBe(TEAM_ORG.id);
    const switched = screen.getByRole('button', { name: /Organization: Acme Corp/ });
    expect(switched).toHaveFocus();
    expect(switched).toHaveTextContent('Admin');
    expect(screen.getByText('Switched to Acme Corp.')).toBeInTheDocument();

    // Back to personal: Escape closes without changing anything first.
    await user.click(switched);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(switched).toHaveFocus();
    await user.click(switched);
    await user.click(screen.getByRole('menuitemradio', { name: /Personal/ }));
    expect(useOrganizationStore.getState().activeId).toBeNull();
  });

  it('falls back to the personal organization when the saved one is no longer in my list', async () => {
    useOrganizationStore.getState().select(OTHER_ORG.id);
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, TEAM_ORG]);
    renderSwitcher();
    expect(await screen.findByRole('button', { name: /Organization: Personal/ })).toBeInTheDocument();
    expect(useOrganizationStore.getState().activeId).toBeNull();
    expect(useOrganizationStore.getState().notice?.text).toMatch(/no longer available/);
  });

  it('offers to try again when the list cannot be loaded', async () => {
    vi.mocked(listOrganizations).mockRejectedValueOnce(problem(503, 'SERVICE_UNAVAILABLE')).mockResolvedValue([PERSONAL_ORG, TEAM_ORG]);
    const user = userEvent.setup();
    renderSwitcher();
    await waitFor(() => expect(listOrganizations).toHaveBeenCalledTimes(1));
    await user.click(screen.getByRole('button', { name: /Organization: Personal/ }));
    await user.click(await screen.findByRole('menuitem', { name: /Could not load your organizations/ }));
    await waitFor(() => expect(listOrganizations).toHaveBeenCalledTimes(2));
    await user.click(screen.getByRole('button', { name: /Organization: Personal/ }));
    expect(await screen.findByRole('menuitemradio', { name: /Acme Corp/ })).toBeInTheDocument();
  });

  it('creates an organization from the menu and switches to it', async () => {
    const created = team({ id: '00000000-0000-4000-8000-0000000000a9', name: 'Zeta Team', role: 'OWNER', memberCount: 1 });
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG]);
    vi.mocked(createOrganization)
      .mockRejectedValueOnce(problem(422, 'VALIDATION_FAILED', [{ field: 'name', message: 'must not be blank' }]))
      .mockRejectedValueOnce(problem(409, 'ORGANIZATION_LIMIT_REACHED'))
      .mockResolvedValue(created);
    const user = userEvent.setup();
    renderSwitcher();
    const button = screen.getByRole('button', { name: /Organization: Personal/ });
    await waitFor(() => expect(listOrganizations).toHaveBeenCalled());
    await user.click(button);
    await user.click(screen.getByRole('menuitem', { name: 'Create organization…' }));

    const dialog = screen.getByRole('dialog', { name: 'Create an organization' });
    const name = within(dialog).getByLabelText('Name');
    expect(name).toHaveFocus();
    // Client check first.
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    expect(name).toHaveAccessibleDescription(expect.stringContaining('Enter a name for the organization.'));
    expect(createOrganization).not.toHaveBeenCalled();

    await user.type(name, '  Zeta Team ');
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    await waitFor(() => expect(name).toHaveAccessibleDescription(expect.stringContaining('Must not be blank.')));
    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('You own as many team organizations as allowed (20).');

    await user.click(within(dialog).getByRole('button', { name: 'Create organization' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(createOrganization).toHaveBeenLastCalledWith('Zeta Team');
    expect(useOrganizationStore.getState().activeId).toBe(created.id);
    expect(useOrganizationStore.getState().notice?.text).toContain('Created “Zeta Team”');
    expect(screen.getByRole('button', { name: /Organization: Zeta Team/ })).toHaveTextContent('Owner');
    await user.click(screen.getByRole('button', { name: /Organization: Zeta Team/ }));
    expect(screen.getByRole('menuitemradio', { name: /Zeta Team/ })).toHaveAttribute('aria-checked', 'true');
  });
});
