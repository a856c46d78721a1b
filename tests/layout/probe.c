/*
 * probe.c - print the memory layout of the CPython it is compiled against,
 * one "KEY VALUE" line per key of lib/pylayout.h that the installed headers
 * can answer. check.sh builds it once per interpreter:
 *
 *	cc -std=gnu11 -DPy_BUILD_CORE -I$inc -I$inc/internal probe.c
 *
 * A key printed as -1 is one the version does not have. A key not printed
 * at all lives in a struct the version does not install (PyDictKeysObject
 * before 3.11, PyModuleObject before 3.10); lib/pylayout.c says where those
 * values come from.
 *
 * This file is not part of libpm and follows the interpreter's headers, not
 * pmtools' warning flags.
 */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX < 0x03080000 || PY_VERSION_HEX >= 0x030e0000
#error "probe.c knows CPython 3.8 to 3.13"
#endif

#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pystate.h"	/* _PyRuntimeState, struct _is, gc */
#else
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_gc.h"
#endif
#if PY_VERSION_HEX < 0x030b0000
#include <longintrepr.h>
#endif
#if PY_VERSION_HEX >= 0x030a0000
#include "internal/pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "internal/pycore_dict.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_object.h"
#endif
#if PY_VERSION_HEX >= 0x030c0000
#include "internal/pycore_typeobject.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_hashtable.h"
#include "internal/pycore_pymem.h"
#endif

#include <opcode.h>

#define KEY(k, v)	printf("%s %lld\n", #k, (long long)(v))
#define OFF(k, T, m)	KEY(k, offsetof(T, m))
#define SIZE(k, T)	KEY(k, sizeof(T))
#define NONE(k)		KEY(k, -1)

/* Bit position of a one-bit-or-wider field of PyASCIIObject.state. */
#define STATE_SHIFT(k, f) do { \
	PyASCIIObject a_; \
	uint32_t w_; \
	memset(&a_, 0, sizeof(a_)); \
	a_.state.f = 1; \
	memcpy(&w_, (char *)&a_ + offsetof(PyASCIIObject, state), 4); \
	KEY(k, __builtin_ctz(w_)); \
} while (0)

/* Width of a field of PyASCIIObject.state: set every bit, count them. */
#define STATE_BITS(k, f) do { \
	PyASCIIObject a_; \
	uint32_t w_; \
	memset(&a_, 0, sizeof(a_)); \
	a_.state.f--; \
	memcpy(&w_, (char *)&a_ + offsetof(PyASCIIObject, state), 4); \
	KEY(k, __builtin_popcount(w_)); \
} while (0)

static void
runtime(void)
{
	OFF(RUNTIME_INTERPRETERS_HEAD, _PyRuntimeState, interpreters.head);
#if PY_VERSION_HEX < 0x03090000
	OFF(RUNTIME_GC, _PyRuntimeState, gc);
	NONE(INTERP_GC);
#else
	NONE(RUNTIME_GC);
	OFF(INTERP_GC, PyInterpreterState, gc);
#endif
	OFF(INTERP_NEXT, PyInterpreterState, next);
#if PY_VERSION_HEX < 0x030b0000
	OFF(INTERP_TSTATE_HEAD, PyInterpreterState, tstate_head);
#else
	OFF(INTERP_TSTATE_HEAD, PyInterpreterState, threads.head);
#endif
#if PY_VERSION_HEX < 0x030c0000
	OFF(INTERP_MODULES, PyInterpreterState, modules);
#else
	OFF(INTERP_MODULES, PyInterpreterState, imports.modules);
#endif
	OFF(INTERP_SYSDICT, PyInterpreterState, sysdict);
	OFF(INTERP_BUILTINS, PyInterpreterState, builtins);
#if PY_VERSION_HEX < 0x030c0000
	NONE(INTERP_TYPES_BUILTINS);
	NONE(STATIC_BUILTIN_STATE_SIZE);
	NONE(STATIC_BUILTIN_STATE_TYPE);
	NONE(STATIC_BUILTIN_STATE_TP_DICT);
	NONE(STATIC_BUILTIN_STATE_TP_SUBCLASSES);
	NONE(INTERP_TYPES_NUM_BUILTINS);
	NONE(INTERP_TYPES_FOR_EXTENSIONS);
	NONE(INTERP_TYPES_NUM_FOR_EXTENSIONS);
#elif PY_VERSION_HEX < 0x030d0000
	OFF(INTERP_TYPES_BUILTINS, PyInterpreterState, types.builtins);
	SIZE(STATIC_BUILTIN_STATE_SIZE, static_builtin_state);
	OFF(STATIC_BUILTIN_STATE_TYPE, static_builtin_state, type);
	OFF(STATIC_BUILTIN_STATE_TP_DICT, static_builtin_state, tp_dict);
	OFF(STATIC_BUILTIN_STATE_TP_SUBCLASSES, static_builtin_state,
	    tp_subclasses);
	KEY(INTERP_TYPES_NUM_BUILTINS, _Py_MAX_STATIC_BUILTIN_TYPES);
	NONE(INTERP_TYPES_FOR_EXTENSIONS);
	NONE(INTERP_TYPES_NUM_FOR_EXTENSIONS);
#else
	OFF(INTERP_TYPES_BUILTINS, PyInterpreterState,
	    types.builtins.initialized);
	SIZE(STATIC_BUILTIN_STATE_SIZE, managed_static_type_state);
	OFF(STATIC_BUILTIN_STATE_TYPE, managed_static_type_state, type);
	OFF(STATIC_BUILTIN_STATE_TP_DICT, managed_static_type_state, tp_dict);
	OFF(STATIC_BUILTIN_STATE_TP_SUBCLASSES, managed_static_type_state,
	    tp_subclasses);
	KEY(INTERP_TYPES_NUM_BUILTINS, _Py_MAX_MANAGED_STATIC_BUILTIN_TYPES);
	OFF(INTERP_TYPES_FOR_EXTENSIONS, PyInterpreterState,
	    types.for_extensions.initialized);
	KEY(INTERP_TYPES_NUM_FOR_EXTENSIONS, _Py_MAX_MANAGED_STATIC_EXT_TYPES);
#endif
}

static void
gc(void)
{
	OFF(GC_GENERATIONS, struct _gc_runtime_state, generations);
	OFF(GC_PERMANENT_GENERATION, struct _gc_runtime_state,
	    permanent_generation);
	SIZE(GC_GENERATION_SIZE, struct gc_generation);
	OFF(GC_GENERATION_HEAD, struct gc_generation, head);
	SIZE(GC_HEAD_SIZE, PyGC_Head);
	OFF(GC_HEAD_NEXT, PyGC_Head, _gc_next);
	OFF(GC_HEAD_PREV, PyGC_Head, _gc_prev);
	KEY(NUM_GENERATIONS, NUM_GENERATIONS);
}

static void
tstate(void)
{
	OFF(TSTATE_NEXT, PyThreadState, next);
	OFF(TSTATE_INTERP, PyThreadState, interp);
#if PY_VERSION_HEX < 0x030b0000
	OFF(TSTATE_FRAME, PyThreadState, frame);
#else
	NONE(TSTATE_FRAME);
#endif
#if PY_VERSION_HEX >= 0x030a0000 && PY_VERSION_HEX < 0x030d0000
	OFF(TSTATE_CFRAME, PyThreadState, cframe);
#else
	NONE(TSTATE_CFRAME);
#endif
#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000
	OFF(CFRAME_CURRENT_FRAME, _PyCFrame, current_frame);
#else
	NONE(CFRAME_CURRENT_FRAME);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	OFF(TSTATE_CURRENT_FRAME, PyThreadState, current_frame);
#else
	NONE(TSTATE_CURRENT_FRAME);
#endif
	OFF(TSTATE_THREAD_ID, PyThreadState, thread_id);
#if PY_VERSION_HEX >= 0x030b0000
	OFF(TSTATE_NATIVE_THREAD_ID, PyThreadState, native_thread_id);
#else
	NONE(TSTATE_NATIVE_THREAD_ID);
#endif
	OFF(TSTATE_DICT, PyThreadState, dict);
}

static void
types(void)
{
	OFF(OBJECT_REFCNT, PyObject, ob_refcnt);
	OFF(OBJECT_TYPE, PyObject, ob_type);
	OFF(VAROBJECT_SIZE, PyVarObject, ob_size);

	OFF(TYPE_NAME, PyTypeObject, tp_name);
	OFF(TYPE_BASICSIZE, PyTypeObject, tp_basicsize);
	OFF(TYPE_ITEMSIZE, PyTypeObject, tp_itemsize);
	OFF(TYPE_FLAGS, PyTypeObject, tp_flags);
	OFF(TYPE_WEAKLISTOFFSET, PyTypeObject, tp_weaklistoffset);
	OFF(TYPE_BASE, PyTypeObject, tp_base);
	OFF(TYPE_DICT, PyTypeObject, tp_dict);
	OFF(TYPE_DICTOFFSET, PyTypeObject, tp_dictoffset);
	OFF(TYPE_BASES, PyTypeObject, tp_bases);
	OFF(TYPE_MRO, PyTypeObject, tp_mro);
	OFF(TYPE_SUBCLASSES, PyTypeObject, tp_subclasses);
	SIZE(TYPE_SIZE, PyTypeObject);

	OFF(HEAPTYPE_NAME, PyHeapTypeObject, ht_name);
	OFF(HEAPTYPE_SLOTS, PyHeapTypeObject, ht_slots);
	OFF(HEAPTYPE_QUALNAME, PyHeapTypeObject, ht_qualname);
	OFF(HEAPTYPE_CACHED_KEYS, PyHeapTypeObject, ht_cached_keys);
#if PY_VERSION_HEX >= 0x03090000
	OFF(HEAPTYPE_MODULE, PyHeapTypeObject, ht_module);
#else
	NONE(HEAPTYPE_MODULE);
#endif
	SIZE(HEAPTYPE_SIZE, PyHeapTypeObject);

	SIZE(MEMBERDEF_SIZE, PyMemberDef);
	OFF(MEMBERDEF_NAME, PyMemberDef, name);
	OFF(MEMBERDEF_TYPE, PyMemberDef, type);
	OFF(MEMBERDEF_OFFSET, PyMemberDef, offset);
	OFF(MEMBERDEF_FLAGS, PyMemberDef, flags);
}

static void
str(void)
{
	SIZE(ASCII_SIZE, PyASCIIObject);
	SIZE(COMPACT_SIZE, PyCompactUnicodeObject);
	SIZE(UNICODE_SIZE, PyUnicodeObject);
	OFF(ASCII_LENGTH, PyASCIIObject, length);
	OFF(ASCII_HASH, PyASCIIObject, hash);
	OFF(ASCII_STATE, PyASCIIObject, state);
	OFF(COMPACT_UTF8_LENGTH, PyCompactUnicodeObject, utf8_length);
	OFF(COMPACT_UTF8, PyCompactUnicodeObject, utf8);
	OFF(UNICODE_DATA, PyUnicodeObject, data);
#if PY_VERSION_HEX < 0x030c0000
	OFF(ASCII_WSTR, PyASCIIObject, wstr);
	OFF(COMPACT_WSTR_LENGTH, PyCompactUnicodeObject, wstr_length);
	STATE_SHIFT(STATE_READY_SHIFT, ready);
#else
	NONE(ASCII_WSTR);
	NONE(COMPACT_WSTR_LENGTH);
	NONE(STATE_READY_SHIFT);
#endif
	STATE_SHIFT(STATE_INTERNED_SHIFT, interned);
	STATE_BITS(STATE_INTERNED_BITS, interned);
	STATE_SHIFT(STATE_KIND_SHIFT, kind);
	STATE_SHIFT(STATE_COMPACT_SHIFT, compact);
	STATE_SHIFT(STATE_ASCII_SHIFT, ascii);
}

static void
scalars(void)
{
#if PY_VERSION_HEX < 0x030c0000
	OFF(LONG_DIGITS, PyLongObject, ob_digit);
	NONE(LONG_LV_TAG);
#else
	OFF(LONG_DIGITS, PyLongObject, long_value.ob_digit);
	OFF(LONG_LV_TAG, PyLongObject, long_value.lv_tag);
#endif
	SIZE(DIGIT_SIZE, digit);
	OFF(FLOAT_VAL, PyFloatObject, ob_fval);
	OFF(COMPLEX_VAL, PyComplexObject, cval);
	OFF(BYTES_HASH, PyBytesObject, ob_shash);
	OFF(BYTES_SVAL, PyBytesObject, ob_sval);
	OFF(BYTEARRAY_ALLOC, PyByteArrayObject, ob_alloc);
	OFF(BYTEARRAY_BYTES, PyByteArrayObject, ob_bytes);
	OFF(BYTEARRAY_START, PyByteArrayObject, ob_start);
	SIZE(BYTEARRAY_SIZE, PyByteArrayObject);

	OFF(TUPLE_ITEMS, PyTupleObject, ob_item);
	OFF(LIST_ITEMS, PyListObject, ob_item);
	OFF(LIST_ALLOCATED, PyListObject, allocated);
	SIZE(LIST_SIZE, PyListObject);
}

#if PY_VERSION_HEX >= 0x030b0000
/* A fake instance of a type with a managed dict, to ask the headers' own
 * inline helpers where they look. */
static PyTypeObject fake_type;
static union {
	PyObject *align;
	char b[256];
} fake_mem;

static PyObject *
fake_object(void)
{
	PyObject *o = (PyObject *)(fake_mem.b + 128);

	fake_type.tp_flags = Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_MANAGED_DICT;
	fake_type.tp_basicsize = sizeof(PyObject);
	o->ob_type = &fake_type;
	return o;
}
#endif

static void
dict(void)
{
	OFF(DICT_MA_USED, PyDictObject, ma_used);
	OFF(DICT_MA_KEYS, PyDictObject, ma_keys);
	OFF(DICT_MA_VALUES, PyDictObject, ma_values);
	SIZE(DICT_SIZE, PyDictObject);
#if PY_VERSION_HEX < 0x030b0000
	/* PyDictKeysObject and PyDictKeyEntry are in Objects/dict-common.h,
	 * which is not installed: the table holds them from the source. */
	NONE(DICTKEYS_LOG2_SIZE);
	NONE(DICTKEYS_LOG2_INDEX_BYTES);
	NONE(DICTKEYS_KIND);
	NONE(DICTUNICODEENTRY_SIZE);
	/* ma_values is a plain PyObject ** array, no PyDictValues. */
	NONE(DICTVALUES_VALUES);
	NONE(MANAGED_DICT_OFFSET);
	NONE(MANAGED_VALUES_OFFSET);
	NONE(PREHEADER_SIZE);
	NONE(TPFLAGS_MANAGED_DICT);
#else
	OFF(DICTKEYS_REFCNT, PyDictKeysObject, dk_refcnt);
	NONE(DICTKEYS_SIZE);
	OFF(DICTKEYS_LOG2_SIZE, PyDictKeysObject, dk_log2_size);
	OFF(DICTKEYS_LOG2_INDEX_BYTES, PyDictKeysObject, dk_log2_index_bytes);
	OFF(DICTKEYS_KIND, PyDictKeysObject, dk_kind);
	OFF(DICTKEYS_USABLE, PyDictKeysObject, dk_usable);
	OFF(DICTKEYS_NENTRIES, PyDictKeysObject, dk_nentries);
	OFF(DICTKEYS_INDICES, PyDictKeysObject, dk_indices);
	SIZE(DICTKEYS_STRUCT_SIZE, PyDictKeysObject);
	SIZE(DICTKEYENTRY_SIZE, PyDictKeyEntry);
	SIZE(DICTUNICODEENTRY_SIZE, PyDictUnicodeEntry);
	OFF(DICTVALUES_VALUES, PyDictValues, values);
	KEY(TPFLAGS_MANAGED_DICT, Py_TPFLAGS_MANAGED_DICT);

	PyObject *o = fake_object();
	KEY(PREHEADER_SIZE, _PyType_PreHeaderSize(&fake_type) -
	    sizeof(PyGC_Head));
#if PY_VERSION_HEX < 0x030c0000
	KEY(MANAGED_DICT_OFFSET,
	    (char *)_PyObject_ManagedDictPointer(o) - (char *)o);
	KEY(MANAGED_VALUES_OFFSET,
	    (char *)_PyObject_ValuesPointer(o) - (char *)o);
#elif PY_VERSION_HEX < 0x030d0000
	KEY(MANAGED_DICT_OFFSET,
	    (char *)_PyObject_DictOrValuesPointer(o) - (char *)o);
	NONE(MANAGED_VALUES_OFFSET);
#else
	KEY(MANAGED_DICT_OFFSET,
	    (char *)_PyObject_ManagedDictPointer(o) - (char *)o);
	NONE(MANAGED_VALUES_OFFSET);
#endif
#endif
#if PY_VERSION_HEX >= 0x030d0000
	OFF(DICTVALUES_CAPACITY, PyDictValues, capacity);
	OFF(DICTVALUES_SIZE_FIELD, PyDictValues, size);
	OFF(DICTVALUES_VALID, PyDictValues, valid);
	OFF(DICTVALUES_EMBEDDED, PyDictValues, embedded);
	KEY(TPFLAGS_INLINE_VALUES, Py_TPFLAGS_INLINE_VALUES);
#else
	NONE(DICTVALUES_CAPACITY);
	NONE(DICTVALUES_SIZE_FIELD);
	NONE(DICTVALUES_VALID);
	NONE(DICTVALUES_EMBEDDED);
	NONE(TPFLAGS_INLINE_VALUES);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	KEY(TPFLAGS_MANAGED_WEAKREF, Py_TPFLAGS_MANAGED_WEAKREF);
	KEY(IMMORTAL_REFCNT, (unsigned long long)_Py_IMMORTAL_REFCNT &
	    0xffffffffULL);
#else
	NONE(TPFLAGS_MANAGED_WEAKREF);
	NONE(IMMORTAL_REFCNT);
#endif
}

static void
set(void)
{
	OFF(SET_FILL, PySetObject, fill);
	OFF(SET_USED, PySetObject, used);
	OFF(SET_MASK, PySetObject, mask);
	OFF(SET_TABLE, PySetObject, table);
	OFF(SET_SMALLTABLE, PySetObject, smalltable);
	SIZE(SET_SIZE, PySetObject);
	SIZE(SETENTRY_SIZE, setentry);
}

static void
func(void)
{
	OFF(FUNC_CODE, PyFunctionObject, func_code);
	OFF(FUNC_GLOBALS, PyFunctionObject, func_globals);
#if PY_VERSION_HEX >= 0x030a0000
	OFF(FUNC_BUILTINS, PyFunctionObject, func_builtins);
#else
	NONE(FUNC_BUILTINS);
#endif
	OFF(FUNC_NAME, PyFunctionObject, func_name);
	OFF(FUNC_QUALNAME, PyFunctionObject, func_qualname);
	OFF(FUNC_MODULE, PyFunctionObject, func_module);
	OFF(FUNC_DEFAULTS, PyFunctionObject, func_defaults);
	OFF(FUNC_KWDEFAULTS, PyFunctionObject, func_kwdefaults);
	OFF(FUNC_CLOSURE, PyFunctionObject, func_closure);
	OFF(FUNC_DOC, PyFunctionObject, func_doc);
	OFF(FUNC_DICT, PyFunctionObject, func_dict);
	OFF(FUNC_ANNOTATIONS, PyFunctionObject, func_annotations);
	SIZE(FUNC_SIZE, PyFunctionObject);
	OFF(METHOD_FUNC, PyMethodObject, im_func);
	OFF(METHOD_SELF, PyMethodObject, im_self);
	OFF(CELL_REF, PyCellObject, ob_ref);
#if PY_VERSION_HEX >= 0x030a0000
	/* Before 3.10 PyModuleObject is private to Objects/moduleobject.c. */
	OFF(MODULE_DICT, PyModuleObject, md_dict);
	OFF(MODULE_NAME, PyModuleObject, md_name);
#endif
}

static void
code(void)
{
	OFF(CODE_ARGCOUNT, PyCodeObject, co_argcount);
	OFF(CODE_NLOCALS, PyCodeObject, co_nlocals);
	OFF(CODE_FIRSTLINENO, PyCodeObject, co_firstlineno);
	OFF(CODE_STACKSIZE, PyCodeObject, co_stacksize);
	OFF(CODE_CONSTS, PyCodeObject, co_consts);
	OFF(CODE_NAMES, PyCodeObject, co_names);
	OFF(CODE_FILENAME, PyCodeObject, co_filename);
	OFF(CODE_NAME, PyCodeObject, co_name);
	SIZE(CODE_SIZE, PyCodeObject);
#if PY_VERSION_HEX < 0x030b0000
	OFF(CODE_CODE, PyCodeObject, co_code);
	OFF(CODE_CELL2ARG, PyCodeObject, co_cell2arg);
	OFF(CODE_VARNAMES, PyCodeObject, co_varnames);
	OFF(CODE_FREEVARS, PyCodeObject, co_freevars);
	OFF(CODE_CELLVARS, PyCodeObject, co_cellvars);
	NONE(CODE_NLOCALSPLUS);
	NONE(CODE_LOCALSPLUSNAMES);
	NONE(CODE_LOCALSPLUSKINDS);
	NONE(CODE_QUALNAME);
	NONE(CODE_EXCEPTIONTABLE);
	NONE(CODE_ADAPTIVE);
#else
	NONE(CODE_CODE);
	NONE(CODE_CELL2ARG);
	NONE(CODE_VARNAMES);
	NONE(CODE_FREEVARS);
	NONE(CODE_CELLVARS);
	OFF(CODE_NLOCALSPLUS, PyCodeObject, co_nlocalsplus);
	OFF(CODE_LOCALSPLUSNAMES, PyCodeObject, co_localsplusnames);
	OFF(CODE_LOCALSPLUSKINDS, PyCodeObject, co_localspluskinds);
	OFF(CODE_QUALNAME, PyCodeObject, co_qualname);
	OFF(CODE_EXCEPTIONTABLE, PyCodeObject, co_exceptiontable);
	OFF(CODE_ADAPTIVE, PyCodeObject, co_code_adaptive);
#endif
#if PY_VERSION_HEX < 0x030a0000
	OFF(CODE_LNOTAB, PyCodeObject, co_lnotab);
	NONE(CODE_LINETABLE);
#else
	NONE(CODE_LNOTAB);
	OFF(CODE_LINETABLE, PyCodeObject, co_linetable);
#endif
}

static void
frame(void)
{
	OFF(FRAME_BACK, PyFrameObject, f_back);
	OFF(FRAME_LINENO, PyFrameObject, f_lineno);
#if PY_VERSION_HEX < 0x030b0000
	OFF(FRAME_CODE, PyFrameObject, f_code);
	OFF(FRAME_LASTI, PyFrameObject, f_lasti);
	OFF(FRAME_LOCALSPLUS, PyFrameObject, f_localsplus);
	OFF(FRAME_GLOBALS, PyFrameObject, f_globals);
	OFF(FRAME_LOCALS, PyFrameObject, f_locals);
	OFF(FRAME_VALUESTACK, PyFrameObject, f_valuestack);
	NONE(FRAME_FRAME);
#if PY_VERSION_HEX < 0x030a0000
	OFF(FRAME_STACKTOP, PyFrameObject, f_stacktop);
#else
	OFF(FRAME_STACKTOP, PyFrameObject, f_stackdepth);
#endif
	NONE(IFRAME_CODE);
	NONE(IFRAME_PREVIOUS);
	NONE(IFRAME_FUNC);
	NONE(IFRAME_GLOBALS);
	NONE(IFRAME_LOCALS);
	NONE(IFRAME_FRAME_OBJ);
	NONE(IFRAME_INSTR);
	NONE(IFRAME_STACKTOP);
	NONE(IFRAME_OWNER);
	NONE(IFRAME_LOCALSPLUS);
#else
	NONE(FRAME_CODE);
	NONE(FRAME_LASTI);
	NONE(FRAME_LOCALSPLUS);
	NONE(FRAME_GLOBALS);
	NONE(FRAME_LOCALS);
	NONE(FRAME_VALUESTACK);
	NONE(FRAME_STACKTOP);
	OFF(FRAME_FRAME, PyFrameObject, f_frame);
#if PY_VERSION_HEX < 0x030d0000
	OFF(IFRAME_CODE, _PyInterpreterFrame, f_code);
	OFF(IFRAME_INSTR, _PyInterpreterFrame, prev_instr);
#else
	OFF(IFRAME_CODE, _PyInterpreterFrame, f_executable);
	OFF(IFRAME_INSTR, _PyInterpreterFrame, instr_ptr);
#endif
#if PY_VERSION_HEX < 0x030c0000
	OFF(IFRAME_FUNC, _PyInterpreterFrame, f_func);
#else
	OFF(IFRAME_FUNC, _PyInterpreterFrame, f_funcobj);
#endif
	OFF(IFRAME_PREVIOUS, _PyInterpreterFrame, previous);
	OFF(IFRAME_GLOBALS, _PyInterpreterFrame, f_globals);
	OFF(IFRAME_LOCALS, _PyInterpreterFrame, f_locals);
	OFF(IFRAME_FRAME_OBJ, _PyInterpreterFrame, frame_obj);
	OFF(IFRAME_STACKTOP, _PyInterpreterFrame, stacktop);
	OFF(IFRAME_OWNER, _PyInterpreterFrame, owner);
	OFF(IFRAME_LOCALSPLUS, _PyInterpreterFrame, localsplus);
#endif
}

static void
gen(void)
{
#if PY_VERSION_HEX < 0x030b0000
	OFF(GEN_FRAME, PyGenObject, gi_frame);
	NONE(GEN_IFRAME);
	NONE(GEN_FRAME_STATE);
#else
	NONE(GEN_FRAME);
	OFF(GEN_IFRAME, PyGenObject, gi_iframe);
	OFF(GEN_FRAME_STATE, PyGenObject, gi_frame_state);
#endif
#if PY_VERSION_HEX < 0x030c0000
	OFF(GEN_CODE, PyGenObject, gi_code);
#else
	NONE(GEN_CODE);
#endif
	OFF(GEN_NAME, PyGenObject, gi_name);
	OFF(GEN_QUALNAME, PyGenObject, gi_qualname);
	OFF(GEN_WEAKREFLIST, PyGenObject, gi_weakreflist);

	OFF(WEAKREF_OBJECT, PyWeakReference, wr_object);
	OFF(WEAKREF_CALLBACK, PyWeakReference, wr_callback);
}

/*
 * tracemalloc: the config everywhere, _Py_hashtable_t from 3.9, the state
 * and traceback_t from 3.12 (the rest is in no header: see pylayout.c).
 */
static void
tracemalloc(void)
{
	OFF(TM_CONFIG_TRACING, struct _PyTraceMalloc_Config, tracing);
	OFF(TM_CONFIG_MAX_NFRAME, struct _PyTraceMalloc_Config, max_nframe);
#if PY_VERSION_HEX >= 0x03090000
	OFF(HASHTABLE_NENTRIES, _Py_hashtable_t, nentries);
	OFF(HASHTABLE_NBUCKETS, _Py_hashtable_t, nbuckets);
	OFF(HASHTABLE_BUCKETS, _Py_hashtable_t, buckets);
	NONE(HASHTABLE_KEY_SIZE);
	NONE(HASHTABLE_DATA_SIZE);
	OFF(HASHTABLE_ENTRY_NEXT, _Py_hashtable_entry_t, _Py_slist_item);
	OFF(HASHTABLE_ENTRY_KEY, _Py_hashtable_entry_t, key);
	OFF(HASHTABLE_ENTRY_VALUE, _Py_hashtable_entry_t, value);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	OFF(RUNTIME_TRACEMALLOC, _PyRuntimeState, tracemalloc);
	OFF(TM_STATE_TRACED_MEMORY, struct _tracemalloc_runtime_state,
	    traced_memory);
	OFF(TM_STATE_TRACES, struct _tracemalloc_runtime_state, traces);
	OFF(TM_STATE_DOMAINS, struct _tracemalloc_runtime_state, domains);
	OFF(TM_TRACEBACK_NFRAME, struct tracemalloc_traceback, nframe);
	KEY(TM_TRACEBACK_NFRAME_SIZE,
	    sizeof(((struct tracemalloc_traceback *)0)->nframe));
	OFF(TM_TRACEBACK_TOTAL_NFRAME, struct tracemalloc_traceback,
	    total_nframe);
	OFF(TM_TRACEBACK_FRAMES, struct tracemalloc_traceback, frames);
	SIZE(TM_FRAME_SIZE, struct tracemalloc_frame);
	OFF(TM_FRAME_FILENAME, struct tracemalloc_frame, filename);
	OFF(TM_FRAME_LINENO, struct tracemalloc_frame, lineno);
#else
	NONE(RUNTIME_TRACEMALLOC);
	NONE(TM_STATE_TRACED_MEMORY);
	NONE(TM_STATE_TRACES);
	NONE(TM_STATE_DOMAINS);
#endif
}

/* pm-tasks: frames, generators, opcodes. */
static void
tasks(void)
{
#if PY_VERSION_HEX >= 0x030b0000
	OFF(CODE_FIRSTTRACEABLE, PyCodeObject, _co_firsttraceable);
#else
	NONE(CODE_FIRSTTRACEABLE);
#endif
#if PY_VERSION_HEX >= 0x030a0000 && PY_VERSION_HEX < 0x030b0000
	OFF(FRAME_STATE, PyFrameObject, f_state);
#else
	NONE(FRAME_STATE);
#endif
#if PY_VERSION_HEX < 0x030b0000
	KEY(OP_YIELD_FROM, YIELD_FROM);
	NONE(OP_RESUME);
	NONE(OP_RESUME_ALT);
	KEY(OP_BEFORE_WITH, SETUP_WITH);
#else
	NONE(OP_YIELD_FROM);
	KEY(OP_RESUME, RESUME);
#if PY_VERSION_HEX < 0x030c0000
	KEY(OP_RESUME_ALT, RESUME_QUICK);
#elif PY_VERSION_HEX < 0x030d0000
	KEY(OP_RESUME_ALT, INSTRUMENTED_RESUME);
#else
	KEY(OP_RESUME_ALT, RESUME_CHECK);
#endif
	KEY(OP_BEFORE_WITH, BEFORE_WITH);
#endif
}

/* pymalloc: pycore_obmalloc.h from 3.12; obmalloc.c's own before. */
static void
obmalloc(void)
{
#if PY_VERSION_HEX >= 0x030c0000
#if PY_VERSION_HEX < 0x030d0000
	OFF(INTERP_OBMALLOC, PyInterpreterState, obmalloc);
	NONE(INTERP_OBMALLOC_PTR);
#else
	NONE(INTERP_OBMALLOC);
	OFF(INTERP_OBMALLOC_PTR, PyInterpreterState, obmalloc);
#endif
	OFF(OBMALLOC_MGMT_ARENAS, struct _obmalloc_state, mgmt.arenas);
	OFF(OBMALLOC_MGMT_MAXARENAS, struct _obmalloc_state, mgmt.maxarenas);
	OFF(OBMALLOC_MGMT_NARENAS, struct _obmalloc_state,
	    mgmt.narenas_currently_allocated);
	SIZE(ARENA_OBJECT_SIZE, struct arena_object);
	OFF(ARENA_OBJECT_ADDRESS, struct arena_object, address);
	OFF(ARENA_OBJECT_POOL_ADDRESS, struct arena_object, pool_address);
	OFF(ARENA_OBJECT_NFREEPOOLS, struct arena_object, nfreepools);
	OFF(POOL_HEADER_COUNT, struct pool_header, ref.count);
	OFF(POOL_HEADER_ARENAINDEX, struct pool_header, arenaindex);
	OFF(POOL_HEADER_SZIDX, struct pool_header, szidx);
	KEY(POOL_OVERHEAD, POOL_OVERHEAD);
	KEY(ARENA_SIZE, ARENA_SIZE);
	KEY(POOL_SIZE, POOL_SIZE);
	KEY(OBMALLOC_ALIGNMENT_SHIFT, ALIGNMENT_SHIFT);
#else
	NONE(INTERP_OBMALLOC);
	NONE(INTERP_OBMALLOC_PTR);
	NONE(OBMALLOC_MGMT_ARENAS);
	NONE(OBMALLOC_MGMT_MAXARENAS);
	NONE(OBMALLOC_MGMT_NARENAS);
#endif
}

int
main(void)
{
	runtime();
	tracemalloc();
	gc();
	tstate();
	types();
	str();
	scalars();
	dict();
	set();
	func();
	code();
	frame();
	gen();
	tasks();
	obmalloc();
	return ferror(stdout) || fclose(stdout) != 0;
}
