package pickle

// objectOp records the objects built from callables (REDUCE, NEWOBJ,
// NEWOBJ_EX, INST, OBJ) and the state BUILD sets on them. Nothing is
// called: the callable is noted and the object keeps its arguments.
func (m *machine) objectOp(op byte) (bool, error) {
	switch op {
	case opReduce:
		return true, m.reduce()
	case opNewObj:
		items, err := m.popN(2)
		if err != nil {
			return true, err
		}
		return true, m.push(&Object{Callable: items[0], Op: "NEWOBJ", Args: asTuple(items[1])})
	case opNewObjEx:
		items, err := m.popN(3)
		if err != nil {
			return true, err
		}
		kw, _ := items[2].(*Dict)
		return true, m.push(&Object{Callable: items[0], Op: "NEWOBJ_EX", Args: asTuple(items[1]), Kwargs: kw})
	case opInst:
		return true, m.inst()
	case opObj:
		items, err := m.popMark()
		if err != nil {
			return true, err
		}
		if len(items) == 0 {
			return true, m.fail("OBJ without a class")
		}
		m.call(items[0])
		return true, m.push(&Object{Callable: items[0], Op: "OBJ", Args: Tuple(items[1:])})
	case opBuild:
		return true, m.build()
	}
	return false, nil
}

// reduce records a call of a callable with an argument tuple; a mapping
// class called with no arguments becomes an empty Dict of that class.
func (m *machine) reduce() error {
	items, err := m.popN(2)
	if err != nil {
		return err
	}
	fn, args := items[0], items[1]
	m.call(fn)
	if g, ok := fn.(*Global); ok && isMapping(g) {
		if t, _ := args.(Tuple); len(t) == 0 {
			return m.push(&Dict{Class: g.String()})
		}
	}
	return m.push(&Object{Callable: fn, Op: "REDUCE", Args: asTuple(args)})
}

// inst records INST: a class named by two lines, built from the values
// above the last mark.
func (m *machine) inst() error {
	mod, name, err := m.twoLines()
	if err != nil {
		return err
	}
	items, err := m.popMark()
	if err != nil {
		return err
	}
	if err := m.global(mod, name); err != nil {
		return err
	}
	cls, _ := m.pop()
	m.call(cls)
	return m.push(&Object{Callable: cls, Op: "INST", Args: Tuple(items)})
}

// build sets the popped state on the object below it; dict states of an
// object are merged, as __setstate__-less classes update __dict__.
func (m *machine) build() error {
	state, err := m.pop()
	if err != nil {
		return err
	}
	t, err := m.top()
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *Object:
		old, ok1 := t.State.(*Dict)
		nw, ok2 := state.(*Dict)
		if ok1 && ok2 {
			old.Keys = append(old.Keys, nw.Keys...)
			old.Values = append(old.Values, nw.Values...)
		} else {
			t.State = state
		}
	case *Dict:
		t.State = state
	}
	return nil
}
