#!/usr/bin/env python3
"""Writes a Codex model catalog (config key model_catalog_json) that gives the test's model names the metadata of a
model Codex 0.169 knows (gpt-5.5), read from the installed Codex binary's built-in catalog. Without it Codex uses
fallback metadata for names it does not know (gpt-5.2-codex, claude-*) and offers no apply_patch tool.
usage: model-catalog.py CODEX_BINARY OUT.json MODEL..."""
import copy, json, sys

binary, out, models = sys.argv[1], sys.argv[2], sys.argv[3:]
data = open(binary, 'rb').read()
decoder = json.JSONDecoder()
template = None
start = data.find(b'{\n  "models": [')
while start >= 0 and template is None:
    try:
        catalog, _ = decoder.raw_decode(data[start:start + 4_000_000].decode('utf-8', 'replace'))
        template = next((m for m in catalog['models'] if m.get('slug') == 'gpt-5.5'), None)
    except ValueError:
        pass
    start = data.find(b'{\n  "models": [', start + 1)
if template is None:
    sys.exit('no built-in gpt-5.5 model metadata found in ' + binary)
entries = []
for slug in models:
    entry = copy.deepcopy(template)
    entry['slug'] = slug
    entry['display_name'] = slug
    entry['prefer_websockets'] = False  # godex serves POST /v1/responses
    entries.append(entry)
json.dump({'models': entries}, open(out, 'w'), indent=2)
