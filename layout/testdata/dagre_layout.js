// Lays out a graph read as JSON on stdin with @dagrejs/dagre and prints the
// positions as JSON. Used by dagre_test.go (optional quality comparison).
// Input: {"nodes":[{"id","w","h"}], "edges":[{"from","to"}]}.
// Output: {"nodes":[{"id","x","y"}], "edges":[[x0,y0,x1,y1,...]], "ms": n}.
const dagre = require(process.env.DAGRE_MODULE || '@dagrejs/dagre');
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const data = JSON.parse(input);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 20, ranksep: 30, edgesep: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) {
    g.setNode(n.id, { width: n.w, height: n.h });
  }
  data.edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, 'e' + i));
  const start = Date.now();
  dagre.layout(g);
  const ms = Date.now() - start;
  const out = { nodes: [], edges: [], ms };
  for (const n of data.nodes) {
    const v = g.node(n.id);
    out.nodes.push({ id: n.id, x: v.x, y: v.y });
  }
  data.edges.forEach((e, i) => {
    const pts = g.edge(e.from, e.to, 'e' + i).points || [];
    out.edges.push(pts.flatMap((p) => [p.x, p.y]));
  });
  process.stdout.write(JSON.stringify(out));
});
