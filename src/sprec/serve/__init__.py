"""Using a finished run: its recommenders loaded once (system), every user's top-K in one file (export), an HTTP
service with a page to compare two models by hand (app, page/)."""
