"""One self-contained HTML file to browse a run, or several runs side by side, problem by problem.

The data (summary tables, settings, and per problem every sample's verdicts, program, first
failing test and nearest reference solution) is embedded once as JSON; a small inline script
renders the page from it on demand (a page of problems at a time, a problem's samples when it
is opened), so the file stays small and fast for thousands of problems. It fetches nothing:
a Content-Security-Policy allows only its own script and style.

Everything a program or a user wrote reaches the page as text only: the JSON is escaped so
that no `<`, `>`, `&` or line separator appears raw inside the <script> element, and the
script builds the DOM with textContent, never with HTML strings.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from pathlib import Path
from typing import Any, Sequence

from harness.reporting.columns import flat
from harness.reporting.report import RunReport, best_sample
from harness.records import Candidate, SampleResult
from harness.run_record import ProgramSource
from harness.storage import GENERATIONS_FILE, RunFolder, read_candidates

PROGRAM_CHARS = 20_000  # a longer program is cut (the run folder keeps it whole)
PAGE_SIZE = 50


def _dataset(run: RunFolder):  # type: ignore[no-untyped-def]
    from data import load_dataset

    cfg = run.record.dataset.data_config()
    return load_dataset(cfg.spec, split=cfg.split, difficulties=cfg.difficulties, limit=cfg.limit,
                        problem_ids=cfg.problem_ids, skip_bad_rows=cfg.skip_bad_rows)


def run_references(run: RunFolder) -> tuple[dict[str, Sequence[str]], str | None]:
    """The reference solutions of the run's problems, and why they are missing (None: they are not)."""
    try:
        dataset = _dataset(run)
    except Exception as exc:  # a hub dataset offline, a moved file: the view is still useful without them
        return {}, f"reference solutions not shown: dataset {run.record.dataset.spec} could not be loaded ({exc})"
    if dataset.fingerprint != run.record.dataset.fingerprint:
        return {}, f"reference solutions not shown: dataset {run.record.dataset.spec} changed since the run (fingerprint differs)"
    return {p.problem_id: p.solutions for p in dataset.problems}, None


def run_programs(run: RunFolder) -> tuple[dict[tuple[str, int], str], str | None]:
    """Each judged program's text, and why they are missing (None: they are not)."""
    programs = run.record.programs
    try:
        if (run.path / GENERATIONS_FILE).is_file():
            candidates = read_candidates(run.path / GENERATIONS_FILE)
        elif programs.source is ProgramSource.SOLUTIONS:
            solutions, why = run_references(run)
            if why is not None:
                return {}, why.replace("reference solutions", "programs")
            return {(pid, i): code for pid, codes in solutions.items() for i, code in enumerate(codes)}, None
        elif programs.path is not None:
            candidates = _programs_file(run, Path(programs.path))
        else:
            return {}, "programs not shown: the run folder does not say where they are"
    except Exception as exc:
        return {}, f"programs not shown: {exc}"
    return {(c.problem_id, c.sample_index): c.code for c in candidates}, None


def _programs_file(run: RunFolder, path: Path) -> list[Candidate]:
    from data import problem_order
    from harness.program_files import read_programs_file

    cfg = run.record.dataset.data_config()
    return read_programs_file(path).candidates(functools.partial(problem_order, cfg.spec, split=cfg.split))


def _clip(text: str, limit: int = PROGRAM_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... [{len(text) - limit} more characters]"


def _sample(row: SampleResult, code: str | None) -> dict[str, Any]:
    f, m = row.first_failure, row.reference_similarity
    return {
        "i": row.sample_index, "v": row.verdict.value, "av": row.apps_verdict.value,
        "tp": row.tests_passed, "atp": row.apps_tests_passed, "tt": row.tests_total,
        "code": None if code is None else _clip(code),
        "f": None if f is None else {"index": f.index, "verdict": f.verdict.value, "input": f.input, "expected": f.expected,
                                     "got": f.got, "detail": f.detail},
        "m": None if m is None else {"score": m.score, "ref": m.reference_index, "copy": m.copy, "tokens": m.tokens},
    }


def view_data(title: str, reports: Sequence[RunReport], runs: Sequence[RunFolder], tables: Sequence[tuple[str, list[str], list[list[Any]]]],
              notes: Sequence[str]) -> dict[str, Any]:
    """What the page shows, as one JSON-ready object: tables, notes, and per problem each run's samples."""
    notes = list(notes)
    problems: dict[str, dict[str, Any]] = {}
    for n, (report, run) in enumerate(zip(reports, runs)):
        programs, why = run_programs(run)
        references, why_refs = run_references(run) if any(r.reference_similarity for r in report.results) else ({}, None)
        notes += [f"{report.label}: {w}." for w in (why, why_refs) if w]
        by_problem: dict[str, list[SampleResult]] = {}
        for row in report.results:
            by_problem.setdefault(row.problem_id, []).append(row)
        for score in report.scores:
            entry = problems.setdefault(score.problem_id, {"id": score.problem_id, "difficulty": score.difficulty.value,
                                                           "runs": [None] * len(reports), "refs": {}})
            rows = sorted(by_problem.get(score.problem_id, []), key=lambda r: r.sample_index)
            entry["runs"][n] = {
                "samples": [_sample(r, programs.get(r.key)) for r in rows],
                "best": best_sample(rows).sample_index if rows else None,
                "missing": not rows,
            }
            for row in rows:
                m = row.reference_similarity
                solutions = references.get(row.problem_id, ())
                if m is not None and 0 <= m.reference_index < len(solutions):
                    entry["refs"][str(m.reference_index)] = _clip(solutions[m.reference_index])
    ordered = sorted(problems.values(), key=lambda p: _natural(p["id"]))
    return {
        "title": title, "labels": [r.label for r in reports],
        "tables": [{"title": t, "headers": h, "rows": [[flat(cell) for cell in row] for row in rows]} for t, h, rows in tables],
        "notes": notes, "problems": ordered, "page_size": PAGE_SIZE,
    }


def _natural(text: str) -> list[Any]:
    """"p-2" before "p-10"."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def script_json(obj: Any) -> str:
    """JSON that is inert inside a <script> element: ASCII only, no raw <, > or & (U+2028/9 escaped by ensure_ascii)."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: dict[str, Any]) -> str:
    script = _SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(data['title'])}</title>\n<style>{_STYLE}</style>\n</head><body>\n"
        "<noscript>This view needs JavaScript; the same numbers are in report --format md/json.</noscript>\n"
        f"<script type=\"application/json\" id=\"apps-eval-data\">{script_json(data)}</script>\n"
        f"<script>{script}</script>\n</body></html>\n"
    )


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.4em;margin:0 0 .6em} h2{font-size:1.15em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:12px} th,td{border:1px solid #bbb;padding:2px 6px;text-align:right}
th{background:#eef2f7} td:first-child,th:first-child{text-align:left}
.controls{position:sticky;top:0;background:#f7f7f7;border:1px solid #ccc;padding:6px;margin:1em 0;z-index:1}
.controls label{margin-right:1em}
.problem{border:1px solid #ccc;margin:4px 0;border-radius:4px}
.head{padding:4px 8px;cursor:pointer;background:#fafafa} .head:hover{background:#eef}
.body{padding:6px 10px;border-top:1px solid #ddd}
.tag{display:inline-block;padding:0 6px;margin:0 3px;border-radius:3px;font-size:12px;background:#e4e4e4}
.passed{background:#c9f1c9} .failed{background:#f6d0d0} .copy{background:#ffd98a}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:8px}
pre{background:#f4f4f4;border:1px solid #ddd;padding:6px;overflow:auto;max-height:24em;margin:2px 0;white-space:pre-wrap;word-break:break-all}
.sample{border-left:3px solid #99a;padding-left:8px;margin:8px 0} .muted{color:#666}
"""

# Builds every element with createElement/textContent: nothing from the data is parsed as HTML.
_SCRIPT = r"""
(function(){
"use strict";
var D=JSON.parse(document.getElementById("apps-eval-data").textContent);
var VERDICTS=["passed","wrong_answer","runtime_error","timeout","memory_limit","output_limit","compile_error","harness_error"];
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return e;}
function add(parent){for(var i=1;i<arguments.length;i++)parent.appendChild(arguments[i]);return parent;}
function table(t){
  var wrap=el("div");if(t.title)wrap.appendChild(el("h2",t.title));
  var tb=el("table"),tr=el("tr");t.headers.forEach(function(h){tr.appendChild(el("th",h));});tb.appendChild(tr);
  t.rows.forEach(function(r){var row=el("tr");r.forEach(function(c){row.appendChild(el("td",c===null?"":c));});tb.appendChild(row);});
  return add(wrap,tb);
}
var body=document.body;
body.appendChild(el("h1",D.title));
D.tables.forEach(function(t){body.appendChild(table(t));});
body.appendChild(el("h2","Settings and notes"));
var ul=el("ul");D.notes.forEach(function(n){ul.appendChild(el("li",n));});body.appendChild(ul);
var multi=D.labels.length>1;
var state={difficulty:"",verdict:"",cmp:"v",solved:"",other:1,copies:false,q:"",page:0,openAll:false};
var hash=new URLSearchParams(location.hash.replace(/^#/,""));
if(hash.get("open")==="all")state.openAll=true;
if(hash.get("problem")){state.q=hash.get("problem");state.openAll=true;}
["difficulty","verdict","solved"].forEach(function(k){if(hash.get(k))state[k]=hash.get(k);});
if(hash.get("cmp")==="apps")state.cmp="av";
if(hash.get("copies")==="1")state.copies=true;
if(hash.get("other"))state.other=Number(hash.get("other"));
function select(name,options,current,onchange){
  var lab=el("label",name+" "),s=el("select");
  options.forEach(function(o){var op=el("option",o[1]);op.value=o[0];s.appendChild(op);});
  s.value=String(current);
  s.addEventListener("change",function(){onchange(s.value);state.page=0;draw();});lab.appendChild(s);return lab;
}
var controls=el("div",null,"controls");body.appendChild(el("h2","Problems"));body.appendChild(controls);
add(controls,select("Difficulty",[["","all"],["introductory","introductory"],["interview","interview"],["competition","competition"]],state.difficulty,function(v){state.difficulty=v;}));
add(controls,select("Comparison",[["v","default"],["av","APPS-compatible"]],state.cmp,function(v){state.cmp=v;}));
add(controls,select("Verdict (any sample)",[["","any"]].concat(VERDICTS.map(function(v){return [v,v];})),state.verdict,function(v){state.verdict=v;}));
if(multi){
  var a=D.labels[0];
  add(controls,select("Solved",[["","any"],["a","by "+a+" only"],["b","by the other only"],["both","by both"],["neither","by neither"]],state.solved,function(v){state.solved=v;}));
  add(controls,select("Other run",D.labels.slice(1).map(function(l,i){return [String(i+1),l];}),state.other,function(v){state.other=Number(v);}));
}
var copyBox=el("input");copyBox.type="checkbox";copyBox.checked=state.copies;copyBox.addEventListener("change",function(){state.copies=copyBox.checked;state.page=0;draw();});
add(controls,add(el("label"),copyBox,document.createTextNode(" with a copy of a reference")));
var search=el("input");search.placeholder="problem id";search.value=state.q;
search.addEventListener("input",function(){state.q=search.value;state.page=0;draw();});
add(controls,add(el("label","Search "),search));
var count=el("span","","muted"),prev=el("button","< prev"),next=el("button","next >");
add(controls,prev,next,count);
prev.addEventListener("click",function(){if(state.page>0){state.page--;draw();}});
next.addEventListener("click",function(){state.page++;draw();});
var list=el("div");body.appendChild(list);

function solved(run){if(!run)return false;return run.samples.some(function(s){return s[state.cmp]==="passed";});}
function matches(p){
  if(state.difficulty&&p.difficulty!==state.difficulty)return false;
  if(state.q&&p.id.toLowerCase().indexOf(state.q.toLowerCase())<0)return false;
  if(state.verdict&&!p.runs.some(function(r){return r&&r.samples.some(function(s){return s[state.cmp]===state.verdict;});}))return false;
  if(state.copies&&!p.runs.some(function(r){return r&&r.samples.some(function(s){return s.m&&s.m.copy;});}))return false;
  if(multi&&state.solved){
    var sa=solved(p.runs[0]),sb=solved(p.runs[state.other]);
    if(!p.runs[0]||!p.runs[state.other])return false;
    if(state.solved==="a"&&!(sa&&!sb))return false;
    if(state.solved==="b"&&!(sb&&!sa))return false;
    if(state.solved==="both"&&!(sa&&sb))return false;
    if(state.solved==="neither"&&(sa||sb))return false;
  }
  return true;
}
function verdictTag(v,prefix){return el("span",(prefix||"")+v,"tag "+(v==="passed"?"passed":"failed"));}
function pre(label,text){var d=el("div");d.appendChild(el("div",label,"muted"));d.appendChild(el("pre",text===null||text===undefined?"":text));return d;}
function sampleBlock(p,label,s){
  var box=el("div",null,"sample"),line=el("div");
  add(line,el("b",(multi?label+": ":"")+"sample "+s.i+" "),verdictTag(s.v),verdictTag(s.av,"APPS: "),
      el("span","tests "+s.tp+"/"+s.tt+" (APPS "+s.atp+"/"+s.tt+")","tag"));
  if(s.m){add(line,el("span","ref. similarity "+s.m.score.toFixed(3)+" to reference #"+s.m.ref+(s.m.copy?" (copy)":""),"tag"+(s.m.copy?" copy":"")));}
  box.appendChild(line);
  var pair=el("div",null,"pair");
  pair.appendChild(pre("program",s.code===null?"(program not available)":s.code));
  if(s.m){var ref=p.refs[String(s.m.ref)];pair.appendChild(pre("nearest reference solution #"+s.m.ref,ref===undefined?"(not available)":ref));}
  box.appendChild(pair);
  if(s.f){
    box.appendChild(el("div","first failing test #"+s.f.index+": "+s.f.verdict,"muted"));
    var grid=el("div",null,"pair");
    add(grid,pre("input",s.f.input),pre("stderr / detail (tail)",s.f.detail),pre("expected",s.f.expected),pre("got",s.f.got));
    box.appendChild(grid);
  }
  return box;
}
function problemBody(p){
  var b=el("div",null,"body");
  p.runs.forEach(function(r,n){
    if(!r){b.appendChild(el("div",D.labels[n]+": not in this run","muted"));return;}
    if(r.missing){b.appendChild(el("div",D.labels[n]+": no program (scored as unsolved)","muted"));return;}
    r.samples.forEach(function(s){b.appendChild(sampleBlock(p,D.labels[n],s));});
  });
  return b;
}
function problemHead(p){
  var h=el("div",null,"head");
  add(h,el("b",p.id),el("span",p.difficulty,"tag"));
  p.runs.forEach(function(r,n){
    if(!r){h.appendChild(el("span",(multi?D.labels[n]+": ":"")+"not in run","tag"));return;}
    var ok=r.samples.filter(function(s){return s[state.cmp]==="passed";}).length;
    h.appendChild(el("span",(multi?D.labels[n]+": ":"")+"solved "+ok+"/"+r.samples.length,"tag "+(ok?"passed":"failed")));
    var best=r.samples.reduce(function(m,s){return s.m&&(!m||s.m.score>m.score)?s.m:m;},null);
    if(best)h.appendChild(el("span","ref. sim. "+best.score.toFixed(2)+(best.copy?" copy":""),"tag"+(best.copy?" copy":"")));
  });
  return h;
}
function draw(){
  var shown=D.problems.filter(matches),pages=Math.max(1,Math.ceil(shown.length/D.page_size));
  if(state.page>=pages)state.page=pages-1;
  count.textContent=" "+shown.length+" of "+D.problems.length+" problems; page "+(state.page+1)+" of "+pages;
  while(list.firstChild)list.removeChild(list.firstChild);
  shown.slice(state.page*D.page_size,(state.page+1)*D.page_size).forEach(function(p){
    var box=el("div",null,"problem"),head=problemHead(p),opened=null;box.setAttribute("data-problem",p.id);
    head.addEventListener("click",function(){if(opened){box.removeChild(opened);opened=null;}else{opened=problemBody(p);box.appendChild(opened);}});
    add(box,head);if(state.openAll){opened=problemBody(p);box.appendChild(opened);}
    list.appendChild(box);
  });
}
draw();
})();
"""


def report_html(run: RunFolder, report: RunReport) -> str:
    from harness.reporting.report import SIMILARITY_NOTE, VERDICT_LEGEND, summary_table

    notes = report.notes() + [VERDICT_LEGEND] + ([SIMILARITY_NOTE] if any(report.similarity.values()) else [])
    return render_html(view_data(f"apps-eval report: {report.label}", [report], [run], [("Summary", *summary_table(report))], notes))


def comparison_html(runs: Sequence[RunFolder], comparison: Any) -> str:
    from harness.reporting.comparison import notes, paired_table, results_table, runs_table

    c = comparison
    tables = [("Runs", *runs_table(c)), ("By difficulty", *results_table(c)), ("Paired tests", *paired_table(c))]
    title = f"apps-eval comparison (baseline: {c.labels[0]})"
    return render_html(view_data(title, c.reports, runs, tables, notes(c, True)))
