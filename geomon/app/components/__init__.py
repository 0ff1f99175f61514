"""Interactive pieces shared by pages: widgets, the filter bar, login, editing forms and the
project input of the siting page."""
