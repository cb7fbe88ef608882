// The one stylesheet, served at /static/style.css. Kept in a module (not a .css file) so that the
// tsc build carries it to dist/ with everything else.

export const STYLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --head: #f3f5f7; --accent: #0b5cad;
  --warn-bg: #fff8c5; --warn: #7d5e00; --err-bg: #ffebe9; --err: #a40e26; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid #f59e0b; outline-offset: 1px; }
header.site { display: flex; justify-content: space-between; align-items: center; gap: 1em; flex-wrap: wrap;
  padding: .5em 1.2em; background: #17324d; color: #fff; }
header.site a { color: #fff; }
header.site nav { display: flex; align-items: center; gap: 1.5em; }
header.site ul { display: flex; gap: 1.2em; list-style: none; margin: 0; padding: 0; }
.brand { font-weight: bold; letter-spacing: .02em; }
.who form { display: flex; gap: .6em; align-items: center; margin: 0; }
main { padding: .5em 1.2em 2em; max-width: 110em; }
h1 { font-size: 1.5em; margin: .6em 0; }
h2 { font-size: 1.2em; margin: 1.2em 0 .4em; }
.notice { padding: .5em .8em; border-radius: 4px; border: 1px solid var(--line); }
.notice.warning { background: var(--warn-bg); color: var(--warn); border-color: #d4a72c; }
.notice.error { background: var(--err-bg); color: var(--err); border-color: #ff8182; }
.notice.info { background: #ddf4ff; }
form.search fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 .8em; padding: .5em .8em; }
form.search .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15em, 1fr)); gap: .5em 1.2em; }
form.search label, form.filters label { display: block; font-size: .9em; color: var(--muted); }
input, select, button { font: inherit; padding: .25em .4em; }
input[type=text], input[type=search], input:not([type]), input[type=password], input[type=date], select { width: 100%; max-width: 24em; }
button + a { margin-left: .8em; }
.scroll { overflow-x: auto; max-width: 100%; }
table.summary td, table.summary th, table.results td, table.usage td { white-space: nowrap; }
button { cursor: pointer; border: 1px solid #1f6feb; background: #1f6feb; color: #fff; border-radius: 4px; padding: .3em .9em; }
.who button { background: transparent; border-color: #fff; }
form.filters { display: flex; flex-wrap: wrap; gap: .6em 1em; align-items: flex-end; margin-bottom: 1em; }
form.filters p { margin: 0; }
table { border-collapse: collapse; margin: .5em 0; font-size: .92em; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { border: 1px solid var(--line); padding: .25em .5em; text-align: left; vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th a { text-decoration: none; }
.sorted::after { content: " ▲"; font-size: .8em; }
.sorted.desc::after { content: " ▼"; }
img.thumb { display: block; max-width: 100px; max-height: 100px; }
.proprietary { color: var(--muted); font-style: italic; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: .6em; overflow-x: auto; font-size: .88em; }
pre.header { white-space: pre; }
.tabs { margin-top: 1em; }
.tablist { display: flex; gap: .3em; list-style: none; margin: 0; padding: 0; border-bottom: 2px solid var(--line); flex-wrap: wrap; }
.tablist a { display: block; padding: .4em .9em; border: 1px solid var(--line); border-bottom: none;
  border-radius: 4px 4px 0 0; text-decoration: none; background: var(--head); }
.tablist .errors { color: var(--err); font-weight: bold; }
/* The open tab: the targeted section's, or the first when none is targeted. */
.tabs:has(#queue-ingest:target) #tab-ingest, .tabs:has(#queue-export:target) #tab-export,
.tabs:has(#queue-preview:target) #tab-preview, .tabs:has(#queue-calcache:target) #tab-calcache,
.tabs:not(:has(> section:target)) .tablist li:first-child a { background: var(--bg); font-weight: bold;
  margin-bottom: -2px; border-bottom: 2px solid var(--bg); }
.tabs > section { display: none; padding-top: .5em; }
.tabs > section:target, .tabs:not(:has(> section:target)) > section:first-of-type { display: block; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(24em, 1fr)); gap: 1.2em; }
details summary { cursor: pointer; color: var(--accent); }
details pre { white-space: pre-wrap; margin: .3em 0 .6em; }
.counts { color: var(--muted); }
.live { color: var(--ok); }
.dead { color: var(--err); }
.small { font-size: .85em; color: var(--muted); }
.login { max-width: 24em; }
.reference { font-size: 1.2em; }
.skip { position: absolute; left: -999em; }
.skip:focus { left: 1em; top: .5em; z-index: 10; background: #fff; padding: .3em .6em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
