import { NavLink } from 'react-router-dom';

/** Links between the organization's pages (settings and members). */
export function OrganizationTabs() {
  return (
    <nav className="org-tabs" aria-label="Organization pages">
      <ul>
        <li>
          <NavLink to="/organization" end className={({ isActive }) => `org-tabs__link${isActive ? ' is-active' : ''}`}>
            Settings
          </NavLink>
        </li>
        <li>
          <NavLink to="/organization/members" className={({ isActive }) => `org-tabs__link${isActive ? ' is-active' : ''}`}>
            Members
          </NavLink>
        </li>
      </ul>
    </nav>
  );
}
