// A practice Canvas People page: the same structure as
// test/fixtures/rosters/canvas.html (Canvas's legacy roster table, see the
// provenance there), filled with a seeded course's people. Like Canvas it
// loads rows in pages ("Load more" stands in for infinite scroll) with its
// own script, so the demo and the browser tests also show that the page's own
// scripts keep working beside the extension.

export interface PracticePerson {
  id: string;
  name: string;
  role: 'student' | 'teacher' | 'ta';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const TYPE = { student: 'StudentEnrollment', teacher: 'TeacherEnrollment', ta: 'TaEnrollment' } as const;
const ROLE = { student: 'Student', teacher: 'Teacher', ta: 'TA' } as const;

export function canvasRow(course: string, p: PracticePerson, section: string): string {
  return `<tr id="user_${esc(p.id)}" class="rosterUser al-hover-container ${TYPE[p.role]}">
<td class="center"><div class="avatar" aria-hidden="true">${esc(p.name.split(' ').map((w) => w[0]).join(''))}</div></td>
<td class="roster_user_name-cell"><a href="/courses/${esc(course)}/users/${esc(p.id)}" data-student_id="${esc(p.id)}" data-course_id="${p.role === 'student' ? esc(course) : ''}" class="roster_user_name student_context_card_trigger">${esc(p.name)}</a></td>
<td data-testid="section-column-cell"><div class="section">${esc(section)}</div></td>
<td><div>${ROLE[p.role]}</div></td>
<td class="right"><div class="admin-links"><a role="button" class="al-trigger" href="javascript:void(0)"><span class="screenreader-only">Manage ${esc(p.name)}</span>⋮</a><ul class="al-options" hidden><li><a href="/courses/${esc(course)}/users/${esc(p.id)}">User Details</a></li></ul></div></td>
</tr>`;
}

/** The page; `firstPage` rows are in the HTML, the rest arrive when "Load more" is clicked, as Canvas's infinite scroll does. */
export function canvasRosterPage(opts: { course: string; title: string; people: PracticePerson[]; firstPage?: number }): string {
  const first = opts.firstPage ?? 50;
  const rows = opts.people.map((p) => canvasRow(opts.course, p, opts.title));
  const later = JSON.stringify(rows.slice(first)).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>People: ${esc(opts.title)}</title>
<style>
body{margin:0;font:14px/1.4 "Lato","Helvetica Neue",Arial,sans-serif;color:#2d3b45;background:#fff}
#header{position:fixed;inset:0 auto 0 0;width:84px;background:#394b58}
#wrapper{margin-left:84px}
.ic-app-nav-toggle-and-crumbs{border-bottom:1px solid #c7cdd1;padding:14px 24px;font-size:16px}
#left-side{float:left;width:160px;padding:16px 0 0 24px}
#section-tabs a{display:block;padding:6px 0;color:#0374b5;text-decoration:none}
#section-tabs a.active{color:#2d3b45;border-left:3px solid #2d3b45;padding-left:8px}
#content{margin-left:200px;padding:16px 24px}
h2{font-weight:300;font-size:22px;margin:0 0 12px}
table.roster{width:100%;border-collapse:collapse}
table.roster th{text-align:left;border-bottom:2px solid #c7cdd1;padding:8px}
table.roster td{border-bottom:1px solid #e3e7ea;padding:8px;vertical-align:middle}
table.roster tbody tr:nth-child(odd){background:#f5f5f5}
.avatar{width:32px;height:32px;border-radius:50%;background:#c7cdd1;display:grid;place-items:center;font-size:12px}
a.roster_user_name{color:#0374b5;text-decoration:none}
button{font:inherit;padding:6px 14px;border:1px solid #c7cdd1;border-radius:4px;background:#f5f5f5;cursor:pointer}
.screenreader-only{position:absolute;left:-10000px}
</style></head>
<body class="with-left-side course-menu-expanded context-course_${esc(opts.course)}">
<div id="header" aria-hidden="true"></div>
<div id="wrapper">
<div class="ic-app-nav-toggle-and-crumbs">${esc(opts.title)} › People <span style="float:right;color:#6b7780;font-size:12px">RosterLens practice page — modelled on Canvas; not Canvas</span></div>
<div id="left-side"><nav id="section-tabs"><a href="#">Home</a><a href="#">Assignments</a><a class="active" href="/courses/${esc(opts.course)}/users">People</a><a href="#">Grades</a></nav></div>
<div id="content" role="main">
<h2>People</h2>
<div class="v-gutter roster-tab tab-panel">
<table class="roster ic-Table ic-Table--hover-row ic-Table--condensed ic-Table--striped">
<thead><tr><th scope="col"><span class="screenreader-only">Profile Picture</span></th><th scope="col">Name</th><th scope="col">Section</th><th scope="col">Role</th><th scope="col"><span class="screenreader-only">Administrative Links</span></th></tr></thead>
<tbody class="collectionViewItems">
${rows.slice(0, first).join('\n')}
</tbody></table>
<div class="paginatedLoadingIndicator"><p><span id="loaded-count">${Math.min(first, rows.length)}</span> of ${rows.length} people shown. <button type="button" id="load-more"${rows.length > first ? '' : ' disabled'}>Load more</button></p></div>
</div></div></div>
<script>
// The page's own script: pages in more rows like Canvas's infinite scroll, and re-renders a row like a Backbone view.
(function () {
  var later = ${later};
  var body = document.querySelector('tbody.collectionViewItems');
  var count = document.getElementById('loaded-count');
  window.practicePage = { loads: 0 };
  document.getElementById('load-more').addEventListener('click', function () {
    var next = later.splice(0, 50);
    body.insertAdjacentHTML('beforeend', next.join(''));
    count.textContent = String(body.rows.length);
    window.practicePage.loads += 1;
    if (!later.length) this.disabled = true;
  });
  window.practicePage.loadAll = function () {
    body.insertAdjacentHTML('beforeend', later.splice(0).join(''));
    count.textContent = String(body.rows.length);
  };
  window.practicePage.rerender = function (id) {
    var tr = document.getElementById('user_' + id);
    tr.innerHTML = tr.innerHTML.replace(/<span data-rosterlens-badge[^>]*><\\/span>/g, '');
  };
})();
</script>
</body></html>`;
}
