"""The live preview (`briefgen serve`): everything that lives only while a preview runs.

- `server.py`: `Preview`, the watcher, the rebuild state and the HTTP server put together;
- `livereload.py`: one rebuild at a time, requests held meanwhile, open pages told the outcome;
- `http.py`: the output folder served safely, the reload script added to pages as they are sent;
- `building.py`: `SiteBuilder`, what a save does (first look, build, then the background work);
- `firstlook.py`: the open page made before the build; `digest_pass.py`: the background PDF pass;
- `watch.py`: which files are sources, and the watcher that hears them saved.
"""
