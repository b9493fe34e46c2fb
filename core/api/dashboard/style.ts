// The dashboard's stylesheet: dark, calm, high-contrast states; readable at 3 a.m.
export const STYLE = `
:root{--bg:#0f1419;--panel:#161d25;--panel2:#1b242e;--line:#26313d;--text:#d8dee6;--muted:#8a97a6;
--ok:#4fb477;--warn:#e0a33a;--bad:#e5534b;--info:#5b9bd5;--unk:#6b7785;--accent:#7aa7d9}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
header.top{display:flex;align-items:center;gap:16px;padding:12px 24px;border-bottom:1px solid var(--line);background:#0c1116;position:sticky;top:0;z-index:5}
header.top h1{font-size:16px;margin:0;font-weight:600;letter-spacing:.02em}
header.top .cluster{color:var(--muted)}
header.top .spacer{flex:1}
.live{display:flex;align-items:center;gap:6px;color:var(--muted);font-size:13px}
.live .dot{width:8px;height:8px;border-radius:50%;background:var(--unk)}
.live.on .dot{background:var(--ok);box-shadow:0 0 0 3px rgba(79,180,119,.18)}
.live.off .dot{background:var(--warn)}
main{padding:20px 24px 60px;max-width:1500px;margin:0 auto}
button{font:inherit;border-radius:6px;border:1px solid var(--line);background:var(--panel2);color:var(--text);padding:5px 12px;cursor:pointer}
button:hover{border-color:var(--accent)}
button.approve{background:#1d3a2a;border-color:#2f6b47;color:#bfe8cf}
button.deny{background:#3a1f1f;border-color:#6b2f2f;color:#f0c4c1}
button.link{background:none;border:none;color:var(--accent);padding:0;cursor:pointer}
input,textarea{font:inherit;background:#0c1116;color:var(--text);border:1px solid var(--line);border-radius:6px;padding:6px 10px}
.login{max-width:460px;margin:12vh auto;background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:28px}
.login h2{margin-top:0;font-weight:600}
.login input{width:100%;margin:10px 0 14px}
.muted{color:var(--muted)}
.error{color:var(--bad)}
.summary{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:18px}
.stat{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 16px;min-width:150px}
.stat b{display:block;font-size:22px;font-weight:600}
.stat span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.06em}
.stat.bad{border-color:#6b2f2f}.stat.bad b{color:var(--bad)}
.stat.warn{border-color:#6b5320}.stat.warn b{color:var(--warn)}
.banner{border-radius:10px;padding:12px 16px;margin-bottom:18px;border:1px solid #6b2f2f;background:#2a1717;color:#f3d0cd}
.banner.waiting{border-color:var(--line);background:var(--panel);color:var(--muted)}
.banner.calm{border-color:#2f6b47;background:#142219;color:#c4ebd3}
section.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin-bottom:18px}
section.panel h2{font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);margin:0 0 12px;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:1000px){.cols{grid-template-columns:1fr}}
.node{background:var(--panel2);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.node.down,.node.unreachable{border-color:#6b2f2f;background:#241919}
.node.degraded{border-color:#6b5320}
.node h3{margin:0 0 4px;font-size:15px;display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.node .addr{color:var(--muted);font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace}
.node dl{margin:8px 0 0;display:grid;grid-template-columns:auto 1fr;gap:3px 10px;font-size:13px}
.node dt{color:var(--muted)}
.node dd{margin:0}
.chip{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 8px;font-size:11px;color:var(--muted);margin-right:4px}
.badge{white-space:nowrap;display:inline-flex;align-items:center;gap:6px;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;border:1px solid transparent}
.badge::before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.s-up,.s-succeeded,.s-approved,.s-clean,.s-delivered,.s-loaded,.s-resolved{color:var(--ok);background:rgba(79,180,119,.1);border-color:rgba(79,180,119,.3)}
.s-down,.s-failed,.s-denied,.s-unclean,.s-dead,.s-failing,.s-unreachable,.s-blocked{color:var(--bad);background:rgba(229,83,75,.1);border-color:rgba(229,83,75,.35)}
.s-degraded,.s-awaiting-approval,.s-pending,.s-running,.s-queued,.s-unknown-step,.s-stale,.s-open,.s-delivering,.s-maintenance{color:var(--warn);background:rgba(224,163,58,.1);border-color:rgba(224,163,58,.35)}
.s-fenced{color:var(--info);background:rgba(91,155,213,.1);border-color:rgba(91,155,213,.35)}
.s-unknown,.s-expired,.s-skipped,.s-muted,.s-planned,.s-silence{color:var(--muted);background:rgba(138,151,166,.08);border-color:rgba(138,151,166,.25)}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:500;font-size:12px;padding:6px 8px;border-bottom:1px solid var(--line)}
td{padding:6px 8px;border-bottom:1px solid #1f2831;vertical-align:top}
tr:last-child td{border-bottom:none}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.svc{margin-bottom:14px}
.svc h3{font-size:14px;margin:0 0 6px;display:flex;gap:10px;align-items:center}
.svc .vip{color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.weight{font-variant-numeric:tabular-nums}
.weight .live0{color:var(--warn)}
.approval{border:1px solid #6b5320;background:#221d12;border-radius:8px;padding:12px 14px;margin-bottom:10px}
.approval .cmd{margin:6px 0;padding:6px 8px;background:#0c1116;border-radius:6px;overflow-x:auto;white-space:pre}
.approval .actions{display:flex;gap:8px;align-items:center;margin-top:8px;flex-wrap:wrap}
.approval .confirm{display:none;gap:8px;align-items:center;margin-top:8px}
.approval.confirming .confirm{display:flex}
.approval.confirming .actions{display:none}
body:not(.can-operate) .needs-operate{display:none}
body:not(.can-admin) .admin-only{display:none}
.editor .entry fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:8px 12px;display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end}
.editor .entry legend{color:var(--muted);font-size:12px;padding:0 4px}
.editor .field{display:flex;flex-direction:column;gap:2px;min-width:120px}
.editor .field label{font-size:12px;color:var(--muted)}
.editor .field input,.editor .field select{width:150px}
.editor .field-error,.editor .form-error{font-size:12px;min-height:1em;margin:0;padding:0;list-style:none}
.editor [aria-invalid=true]{border-color:var(--bad)}
.editor .raw .field{display:block}
.editor details.collection{margin:8px 0}.editor details.collection>summary{cursor:pointer;font-weight:600;padding:4px 0}.editor .entry .field textarea{width:220px}
.editor textarea{width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.editor label.inline{display:flex;gap:6px;align-items:center}
.editor-preview,.editor-conflict{border:1px solid var(--accent);border-radius:8px;padding:10px 14px;margin-bottom:14px}
.editor-conflict{border-color:var(--bad)}
.editor pre.diff{white-space:pre;overflow-x:auto;background:#0c1116;padding:8px;border-radius:6px}
.editor :focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.incident-row{cursor:pointer}
.incident-row:hover td{background:#1d2631}
.timeline{list-style:none;margin:0;padding:0 0 0 14px;border-left:2px solid var(--line)}
.timeline li{position:relative;padding:6px 0 10px 14px}
.timeline li::before{content:"";position:absolute;left:-21px;top:12px;width:10px;height:10px;border-radius:50%;background:var(--unk);border:2px solid var(--bg)}
.timeline li.k-evidence::before{background:var(--info)}
.timeline li.k-policy::before{background:var(--accent)}
.timeline li.k-step::before{background:var(--ok)}
.timeline li.k-guard::before{background:var(--bad)}
.timeline li.k-approval::before{background:var(--warn)}
.timeline li.k-notice::before{background:#a98bd6}
.timeline .when{color:var(--muted);font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace;margin-right:8px}
.timeline .kind{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin-right:8px}
.timeline pre{margin:6px 0 0;padding:6px 8px;background:#0c1116;border-radius:6px;overflow-x:auto}
.drawer{border-color:#3a4a5c}
.empty{color:var(--muted);font-style:italic}
.incident-picture{display:block;margin:4px 0 14px;background:#0c1116;border-radius:6px}
.incident-picture text{fill:var(--text);font-size:11px;font-family:ui-monospace,Menlo,Consolas,monospace}
.incident-picture text.axis{fill:var(--muted)}
.incident-picture .lane rect,.incident-picture .lane circle{fill:var(--unk)}
.incident-picture .s-succeeded rect,.incident-picture .s-succeeded circle{fill:var(--ok)}
.incident-picture .s-failed rect,.incident-picture .s-failed circle,.incident-picture .s-blocked rect{fill:var(--bad)}
.incident-picture .s-waiting rect,.incident-picture .s-running rect{fill:var(--warn)}
.verdict-note{font-size:12px;margin:2px 0 4px}
.conns{font-variant-numeric:tabular-nums}
`
