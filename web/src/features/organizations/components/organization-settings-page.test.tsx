import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { PERSONAL_ORG, resetOrganizations, team, teamMembers } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import { useOrganizationStore } from '@/stores/organization-store';
import {
  deleteOrganization,
  getOrganization,
  leaveOrganization,
  listMembers,
  listOrganizations,
  transferOwnership,
  updateOrganization,
} from '../api/organizations';
import { OrganizationSettingsPage } from './organization-settings-page';

vi.mock('../api/organizations', () => ({
  getOrganization: vi.fn(),
  updateOrganization: vi.fn(),
  deleteOrganization: vi.fn(),
  leaveOrganization: vi.fn(),
  listMembers: vi.fn(),
  listOrganizations: vi.fn(),
  transferOwnership: vi.fn(),
  createOrganization: vi.fn(),
}));

function renderPage() {
  return render(
    <TestRouter url="/organization">
      <Routes>
        <Route path="/organization" element={<OrganizationSettingsPage />} />
        <Route path="/dashboard" element={<p>Dashboard page</p>} />
      </Routes>
    </TestRouter>,
  );
}

const heading = (name: string) => screen.queryByRole('heading', { name });

describe('OrganizationSettingsPage', () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, team()]);
    resetOrganizations();
    signInAs();
    useOrganizationStore.getState().select(team().id);
  });
  afterEach(() => resetAuth());

  it('lets the owner rename, transfer and delete (typing the name), but not leave', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'OWNER' }));
    vi.mocked(listMembers).mockResolvedValue(teamMembers('OWNER'));
    vi.mocked(deleteOrganization).mockResolvedValue();
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByLabelText('Name')).toHaveValue('Acme Corp');
    expect(heading('Transfer ownership')).toBeInTheDocument();
    expect(heading('Delete organization')).toBeInTheDocument();
    expect(heading('Leave organization')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Delete organization…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete organization' });
    const confirm = within(dialog).getByLabelText(/Type Acme Corp to confirm/);
    await user.type(confirm, 'Acme');
    await user.click(within(dialog).getByRole('button', { name: 'Delete organization' }));
    expect(confirm).toHaveAccessibleDescription(expect.stringContaining('That is not the name of this organization.'));
    expect(deleteOrganization).not.toHaveBeenCalled();
    await user.type(confirm, ' Corp');
    await user.click(within(dialog).getByRole('button', { name: 'Delete organization' }));

    expect(await screen.findByText('Dashboard page')).toBeInTheDocument();
    expect(deleteOrganization).toHaveBeenCalledTimes(1);
    expect(useOrganizationStore.getState().activeId).toBeNull();
    expect(useOrganizationStore.getState().notice?.text).toMatch(/^Deleted “Acme Corp”/);
  });

  it('saves only what changed and shows field errors from the server', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'ADMIN' }));
    vi.mocked(updateOrganization)
      .mockRejectedValueOnce(problem(422, 'VALIDATION_FAILED', [{ field: 'billingEmail', message: 'must be an email address' }]))
      .mockResolvedValue(team({ name: 'Acme Inc' }));
    const user = userEvent.setup();
    renderPage();
    const name = await screen.findByLabelText('Name');
    const email = screen.getByLabelText(/Billing email/);
    expect(email).toHaveValue('billing@acme.test');
    await user.clear(name);
    await user.type(name, 'Acme Inc');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(updateOrganization).toHaveBeenCalledWith({ name: 'Acme Inc' });
    await waitFor(() => expect(email).toHaveAccessibleDescription(expect.stringContaining('Must be an email address.')));
    expect(email).toHaveFocus();

    // An emptied billing email is sent as null (invoices go to the owner).
    await user.clear(email);
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(updateOrganization).toHaveBeenLastCalledWith({ name: 'Acme Inc', billingEmail: null });
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    // An admin neither transfers nor deletes; it may leave.
    expect(heading('Transfer ownership')).toBeNull();
    expect(heading('Delete organization')).toBeNull();
    expect(heading('Leave organization')).toBeInTheDocument();
  });

  it('shows a member the details read-only and lets them leave', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'MEMBER' }));
    vi.mocked(leaveOrganization).mockResolvedValue();
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText('Only the owner and admins can change these.')).toBeInTheDocument();
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Leave organization…' }));
    const dialog = screen.getByRole('dialog', { name: 'Leave organization?' });
    await user.click(within(dialog).getByRole('button', { name: 'Leave organization' }));
    expect(await screen.findByText('Dashboard page')).toBeInTheDocument();
    expect(leaveOrganization).toHaveBeenCalledTimes(1);
    expect(useOrganizationStore.getState().activeId).toBeNull();
    expect(useOrganizationStore.getState().notice?.text).toBe('You left “Acme Corp”. You are now in your personal organization.');
  });

  it('shows a refused leave in the dialog', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'BILLING' }));
    vi.mocked(leaveOrganization).mockRejectedValue(problem(409, 'OWNER_CANNOT_LEAVE'));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Leave organization…' }));
    const dialog = screen.getByRole('dialog', { name: 'Leave organization?' });
    await user.click(within(dialog).getByRole('button', { name: 'Leave organization' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The owner cannot leave. Transfer ownership to another member first.');
    expect(useOrganizationStore.getState().activeId).toBe(team().id);
  });

  it('transfers ownership to the chosen member after confirmation', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'OWNER' }));
    vi.mocked(listMembers).mockResolvedValue(teamMembers('OWNER'));
    vi.mocked(transferOwnership).mockResolvedValue([]);
    const user = userEvent.setup();
    renderPage();
    const select = await screen.findByLabelText('New owner');
    await user.click(screen.getByRole('button', { name: 'Transfer ownership…' }));
    expect(select).toHaveAccessibleDescription(expect.stringContaining('Choose the member who becomes the owner.'));
    await user.selectOptions(select, screen.getByRole('option', { name: /Grace Hopper/ }));
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'ADMIN' }));
    await user.click(screen.getByRole('button', { name: 'Transfer ownership…' }));
    const dialog = screen.getByRole('dialog', { name: 'Transfer ownership?' });
    await user.click(within(dialog).getByRole('button', { name: 'Transfer ownership' }));
    expect(transferOwnership).toHaveBeenCalledWith('00000000-0000-4000-8000-000000000003');
    expect(await screen.findByTestId('org-message')).toHaveTextContent('Grace Hopper is now the owner. You are an admin.');
    await waitFor(() => expect(heading('Transfer ownership')).toBeNull());
  });

  it('explains a personal organization: no leave, transfer or delete', async () => {
    useOrganizationStore.getState().select(null);
    vi.mocked(getOrganization).mockResolvedValue(PERSONAL_ORG);
    renderPage();
    expect(await screen.findByTestId('personal-organization-note')).toHaveTextContent('Personal organizations have exactly one member');
    expect(screen.getByRole('button', { name: 'Create a team organization' })).toBeInTheDocument();
    expect(heading('Leave organization')).toBeNull();
    expect(heading('Delete organization')).toBeNull();
    expect(heading('Transfer ownership')).toBeNull();
  });
});
