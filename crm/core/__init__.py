"""The kernel every subject uses: access, audit, errors, i18n, database, config, paging, text, spreadsheet, versions."""
