"""`colabctl report`: the access report of one or more accounts, as an HTML page,
Markdown or CSV (docs/report.md). `gather.build` reads the store into the model
(`model.py`); `render.render` writes it in a format."""
