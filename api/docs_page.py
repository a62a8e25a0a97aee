"""/api/docs: the OpenAPI document as one plain HTML page, written on the server.

FastAPI's own docs pages (Swagger UI, ReDoc) load their scripts and fonts from a CDN; the portal makes no
requests to other hosts, so this page renders the operations, parameters and schemas itself, without any
script. The machine-readable document stays at /api/openapi.json.
"""
from __future__ import annotations

import html
import json
from typing import Any

_STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}section.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;
margin:1rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}code,pre{background:#f5f5f5}
pre{padding:.5rem;overflow:auto;font-size:.85rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;
padding:.2rem .5rem;text-align:left;vertical-align:top}"""


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_ref_name(s) for s in schema[key])
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    return str(schema.get("type", "any"))


def _e(text: Any) -> str:
    return html.escape(str(text))


def _operation(path: str, method: str, op: dict[str, Any], base: str) -> str:
    out = [f'<section class="op" id="{_e(op.get("operationId", ""))}"><p><span class="m">{method.upper()}</span>'
           f"<code>{_e(base + path)}</code> — {_e(op.get('summary', ''))}</p>"]
    if op.get("description"):
        out.append(f"<p>{_e(op['description'])}</p>")
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>")
        for p in params:
            req = " (required)" if p.get("required") else ""
            out.append(f"<tr><td><code>{_e(p['name'])}</code>{req}</td><td>{_e(p['in'])}</td>"
                       f"<td>{_e(_ref_name(p.get('schema', {})))}</td><td>{_e(p.get('description', ''))}</td></tr>")
        out.append("</table>")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        out.append(f"<p>Body: <a href=\"#schema-{_e(_ref_name(body))}\">{_e(_ref_name(body))}</a></p>")
    answers = ", ".join(f"{_e(code)} {_e(r.get('description', ''))}" for code, r in op.get("responses", {}).items())
    out.append(f"<p>Answers: {answers}</p></section>")
    return "".join(out)


def render(doc: dict[str, Any], base: str) -> str:
    """The HTML page of an OpenAPI document whose paths are relative to ``base`` (e.g. "/api")."""
    info = doc.get("info", {})
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(info.get('title'))}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{_e(info.get('title'))} {_e(info.get('version'))}</h1>",
             f"<p>{_e(info.get('description', ''))}</p>",
             f'<p>Machine-readable: <a href="{_e(base)}/openapi.json"><code>{_e(base)}/openapi.json</code></a> '
             "(OpenAPI 3). Every call sends <code>Authorization: Bearer SECRET</code>.</p>"]
    by_tag: dict[str, list[str]] = {}
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append(_operation(path, method, op, base))
    for tag, ops in by_tag.items():
        parts.append(f"<h2>{_e(tag)}</h2>{''.join(ops)}")
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        parts.append(f'<h3 id="schema-{_e(name)}">{_e(name)}</h3><pre>{_e(json.dumps(schema, indent=2))}</pre>')
    parts.append("</body></html>")
    return "".join(parts)
