"""The domain: charters, participation, comments, amendments, versions, restore, open
discussion and automatic versions. Plain async functions over the stores, raising domain
errors; text changes only through the live registry's server_edit."""
