package pickle

// containerOp builds tuples, lists, dicts and sets, and fills them.
func (m *machine) containerOp(op byte) (bool, error) {
	switch op {
	case opEmptyTuple:
		return true, m.push(Tuple{})
	case opEmptyList:
		return true, m.push(&List{})
	case opEmptyDict:
		return true, m.push(&Dict{})
	case opEmptySet:
		return true, m.push(&Set{})
	case opTuple1, opTuple2, opTuple3:
		items, err := m.popItems(int(op-opTuple1) + 1)
		if err != nil {
			return true, err
		}
		return true, m.push(Tuple(items))
	case opTuple, opList, opDict, opFrozenSet:
		return true, m.fromMark(op)
	case opAppend, opAppends, opSetItem, opSetItems, opAddItems:
		return true, m.fill(op)
	}
	return false, nil
}

// popItems pops the top n values, in stack order, to go into a
// container: they count against Limits.MaxItems.
func (m *machine) popItems(n int) ([]Value, error) {
	if err := m.count(n); err != nil {
		return nil, err
	}
	return m.popN(n)
}

// popN pops the top n values, in stack order.
func (m *machine) popN(n int) ([]Value, error) {
	items := make([]Value, n)
	for i := n - 1; i >= 0; i-- {
		v, err := m.pop()
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

// fromMark pushes the container TUPLE, LIST, DICT or FROZENSET makes of
// the values above the last mark.
func (m *machine) fromMark(op byte) error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	switch op {
	case opTuple:
		return m.push(Tuple(items))
	case opList:
		return m.push(&List{Items: items})
	case opFrozenSet:
		return m.push(&Set{Items: items, Frozen: true})
	}
	if len(items)%2 != 0 {
		return m.fail("DICT with an odd number of items")
	}
	d := &Dict{}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return m.push(d)
}

// fill adds values to the container below them: one (APPEND), a key and
// a value (SETITEM), or all above the last mark (APPENDS, SETITEMS,
// ADDITEMS).
func (m *machine) fill(op byte) error {
	var items []Value
	var err error
	switch op {
	case opAppend:
		items, err = m.popItems(1)
	case opSetItem:
		items, err = m.popItems(2)
	default:
		items, err = m.popMark()
	}
	if err != nil {
		return err
	}
	switch op {
	case opAppend, opAppends:
		return m.appendTo(items)
	case opAddItems:
		return m.addItems(items)
	}
	if len(items)%2 != 0 {
		return m.fail("SETITEMS with an odd number of items")
	}
	return m.setItems(items)
}

// addItems adds items to the set (or set-like object) on top.
func (m *machine) addItems(items []Value) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *Set:
		t.Items = append(t.Items, items...)
	case *Object:
		t.SetItems = append(t.SetItems, items...)
	default:
		return m.fail("ADDITEMS onto a %s", TypeName(t))
	}
	return nil
}
