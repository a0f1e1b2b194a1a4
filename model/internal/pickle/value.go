// Package pickle reads Python pickles (protocols 0 to 5) as inert data.
//
// Nothing in a pickle is ever executed or resolved: GLOBAL and STACK_GLOBAL
// produce a Global naming the class or function, and REDUCE, NEWOBJ,
// NEWOBJ_EX, INST, OBJ and BUILD produce an Object recording which callable
// would have been called with which arguments and state. Persistent IDs
// (PERSID, BINPERSID) become PersID values.
//
// Why not github.com/nlpodyssey/gopickle: it resolves classes through a
// FindClass callback and builds Go objects through interfaces the caller must
// implement for every torch class, and it has no bounds on stack, memo,
// string sizes or work. A model viewer needs the opposite: every reference
// kept as text, every size checked against the input before allocating, and
// a hard budget, so a small VM of our own is simpler and safer.
package pickle

import (
	"math/big"
	"strconv"
)

// Value is any decoded pickle value: nil (None), bool, int64, *big.Int,
// float64, string (str), []byte (bytes, bytearray, Python 2 str), Tuple,
// *List, *Dict, *Set, *Global, *Object, *PersID, *Ext or *Buffer.
type Value = any

// Tuple is a Python tuple.
type Tuple []Value

// List is a Python list. It is a pointer so APPEND can grow a list that is
// also held by the memo.
type List struct{ Items []Value }

// Dict is a Python dict, keys in insertion order (duplicate keys are kept
// as written; Get returns the last). Class is set when the dict was built by
// a REDUCE of a known mapping class (collections.OrderedDict), and State
// holds a BUILD applied to it (an OrderedDict's __dict__, e.g. _metadata).
type Dict struct {
	Keys   []Value
	Values []Value
	Class  string
	State  Value
}

// Set is a Python set or frozenset.
type Set struct {
	Items  []Value
	Frozen bool
}

// Global is a reference to a module attribute, as GLOBAL/STACK_GLOBAL name
// it. It is never imported or looked up.
type Global struct {
	Module string
	Name   string
}

// String returns "module.Name".
func (g *Global) String() string { return g.Module + "." + g.Name }

// Object is what a pickle asks Python to construct: Callable applied to Args
// (REDUCE, NEWOBJ, INST, OBJ), then BUILD with State, then APPENDS and
// SETITEMS onto it. Nothing is called.
type Object struct {
	// Callable is usually a *Global; a pickle may reduce any value.
	Callable Value
	// Op is the opcode that made the object: "REDUCE", "NEWOBJ",
	// "NEWOBJ_EX", "INST" or "OBJ".
	Op     string
	Args   Tuple
	Kwargs *Dict
	// State is the argument of BUILD, when any (merged over several BUILDs
	// when both are dicts).
	State Value
	// Items holds APPEND/APPENDS made onto the object, Entries the
	// SETITEM/SETITEMS, and SetItems the ADDITEMS.
	Items    []Value
	Entries  *Dict
	SetItems []Value
}

// Class returns "module.Name" of the callable, or "" when it is not a
// Global.
func (o *Object) Class() string {
	if g, ok := o.Callable.(*Global); ok {
		return g.String()
	}
	return ""
}

// PersID is a persistent ID: a reference the pickler resolves outside the
// pickle (PyTorch uses them for tensor storages).
type PersID struct{ ID Value }

// Ext is an extension-registry code (EXT1/EXT2/EXT4), kept unresolved.
type Ext struct{ Code int64 }

// Buffer is a protocol-5 out-of-band buffer reference (NEXT_BUFFER).
type Buffer struct {
	Index    int
	ReadOnly bool
}

// Get returns the value stored under a string key, and whether it exists.
func (d *Dict) Get(key string) (Value, bool) {
	for i := len(d.Keys) - 1; i >= 0; i-- {
		if s, ok := d.Keys[i].(string); ok && s == key {
			return d.Values[i], true
		}
	}
	return nil, false
}

// Len is the number of entries.
func (d *Dict) Len() int { return len(d.Keys) }

func (d *Dict) set(k, v Value) {
	d.Keys = append(d.Keys, k)
	d.Values = append(d.Values, v)
}

// KeyString renders a dict key as a path segment: strings as-is, integers
// in decimal, other values by their Python-ish type name.
func KeyString(k Value) string {
	switch k := k.(type) {
	case string:
		return k
	case int64:
		return strconv.FormatInt(k, 10)
	case *big.Int:
		return k.String()
	case bool:
		if k {
			return "True"
		}
		return "False"
	case []byte:
		return string(k)
	case nil:
		return "None"
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64)
	}
	return "?" + TypeName(k)
}

// TypeName names a value's Python type ("builtins.int", "collections.OrderedDict",
// the class of an Object).
func TypeName(v Value) string {
	switch v := v.(type) {
	case nil:
		return "builtins.NoneType"
	case bool:
		return "builtins.bool"
	case int64, *big.Int:
		return "builtins.int"
	case float64:
		return "builtins.float"
	case string:
		return "builtins.str"
	case []byte:
		return "builtins.bytes"
	case Tuple:
		return "builtins.tuple"
	case *List:
		return "builtins.list"
	case *Dict:
		if v.Class != "" {
			return v.Class
		}
		return "builtins.dict"
	case *Set:
		if v.Frozen {
			return "builtins.frozenset"
		}
		return "builtins.set"
	case *Global:
		return v.String()
	case *Object:
		if c := v.Class(); c != "" {
			return c
		}
		return "object"
	case *PersID:
		return "persistent_id"
	}
	return "unknown"
}
