"""Server-rendered pages, the app shells, i18n, templates, and the files rendered for
download (exports, diffs)."""
