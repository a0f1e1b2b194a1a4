// The viewer's state. main.js creates one App and passes it to every
// function that reads or changes what the page shows; no module keeps a
// state object of its own.

/** Tab is one open model's view state. */
export class Tab {
  /**
   * @param {object} info the model's entry in GET /api/models
   * @param {boolean} expandAll whether groups start open (?expand=all)
   */
  constructor(info, expandAll) {
    this.id = info.id;
    this.info = info;
    this.root = ''; // the entry graph: '' main, 'f3' function or signature graph 3
    this.path = []; // [{node, sub, label}]: the subgraphs entered
    this.expand = expandAll ? 'all' : new Set(); // group IDs opened, or 'all'
    this.collapse = new Set(); // groups closed by the user, even if open by default
    this.camera = null; // viewport kept while another tab is shown
    this.version = info.version || 0;
    this.view = null; // the last drawn View (only the shown tab keeps it)
  }

  /** pathString is the subgraph path for the API ("3.0/7.1", "f2/3.0"). */
  pathString() {
    const segs = this.path.map((p) => `${p.node}.${p.sub}`);
    if (this.root) segs.unshift(this.root);
    return segs.join('/');
  }

  /** entries are the model's root graphs (GET /api/models/{id} entries). */
  entries() {
    return (this.info && this.info.entries) || [];
  }

  /** expandParam is the graph request's expand parameter. */
  expandParam() {
    if (this.expand === 'all') return 'all';
    return [...this.expand].join(',');
  }

  /** collapseParam is the graph request's collapse parameter. */
  collapseParam() {
    return [...this.collapse].join(',');
  }
}

/** App is the state of the page: open models, the shown graph, selection. */
export class App {
  /**
   * @param {URLSearchParams} params the page's query
   * @param {HTMLElement} graphEl #graph, whose data attributes tell tests
   *     and scripts what is shown
   */
  constructor(params, graphEl) {
    this.params = params;
    this.expandAll = params.get('expand') === 'all';
    // Graphs come in the compact form (wire.js) unless ?wire=0.
    this.wire = params.get('wire') !== '0';
    // Developer figures (layout and frame times) show with ?debug=1.
    this.debug = params.has('debug') && params.get('debug') !== '0';
    this.graphEl = graphEl;
    this.renderer = null; // the GraphCanvas, set once by main.js
    this.tabs = new Map(); // id → Tab
    this.order = []; // tab ids in display order
    this.cur = null; // the shown Tab
    this.scene = null; // the shown Scene
    this.detail = null; // id of the node whose details the sidebar shows
    this.selectedId = null;
    this.selectedName = '';
    this.find = { hits: [], pos: -1 };
    this.loadSeq = 0; // increases with every graph load; stale loads stop
    this.quitting = false; // Quit was asked for: the server goes away
    this.compare = null; // the open comparison (compare.js), null when none
    this.compareUI = null; // the compare view's elements and panes, made on first use
  }

  /** newTab makes the state of a newly listed model. */
  newTab(info) {
    return new Tab(info, this.expandAll);
  }
}
