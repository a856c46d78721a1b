/*
 * pylayout.h - everything pmtools knows about CPython's memory layout,
 * per minor version (3.8 to 3.13), in one table.
 *
 * Each entry is a byte offset, a size or a constant taken from that version's
 * headers (tests/layout/ compiles a probe against every installed
 * interpreter and checks the table against it). A field the version does
 * not have is -1. Keys name the C struct and member: PM_L_DICT_MA_KEYS is
 * offsetof(PyDictObject, ma_keys). Values are 64-bit so that constants such
 * as IMMORTAL_REFCNT (0xffffffff) cannot be mistaken for -1.
 *
 * Where a key's meaning differs between versions, its comment says so:
 * MANAGED_DICT_OFFSET is a PyDictOrValues in 3.12 (values when the low bit
 * is set), FRAME_STACKTOP a pointer in 3.8/3.9 but a count in 3.10,
 * IFRAME_INSTR the last instruction run (3.11, 3.12) or the next (3.13).
 */
#ifndef PM_PYLAYOUT_H
#define PM_PYLAYOUT_H

#include <stdint.h>

#define PM_LAYOUT_KEYS(X) \
	/* _PyRuntimeState and PyInterpreterState */ \
	X(RUNTIME_INTERPRETERS_HEAD)	/* _PyRuntime.interpreters.head */ \
	X(RUNTIME_GC)			/* _PyRuntime.gc (3.8 only) */ \
	X(INTERP_NEXT) \
	X(INTERP_TSTATE_HEAD)		/* tstate_head / threads.head */ \
	X(INTERP_MODULES) \
	X(INTERP_SYSDICT) \
	X(INTERP_BUILTINS) \
	X(INTERP_GC)			/* interp->gc (3.9+) */ \
	X(INTERP_TYPES_BUILTINS)	/* interp->types.builtins[] (3.12+) */ \
	X(STATIC_BUILTIN_STATE_SIZE)	/* sizeof(static_builtin_state) */ \
	X(STATIC_BUILTIN_STATE_TYPE)	/* .type */ \
	X(STATIC_BUILTIN_STATE_TP_DICT)	/* .tp_dict */ \
	X(STATIC_BUILTIN_STATE_TP_SUBCLASSES) \
	X(INTERP_TYPES_NUM_BUILTINS)	/* _Py_MAX_STATIC_BUILTIN_TYPES */ \
	X(INTERP_TYPES_FOR_EXTENSIONS)	/* types.for_extensions.initialized[] (3.13) */ \
	X(INTERP_TYPES_NUM_FOR_EXTENSIONS) /* _Py_MAX_MANAGED_STATIC_EXT_TYPES */ \
	/* struct _gc_runtime_state / struct gc_generation */ \
	X(GC_GENERATIONS)		/* offsetof(state, generations) */ \
	X(GC_PERMANENT_GENERATION)	/* offsetof(state, permanent_generation) */ \
	X(GC_GENERATION_SIZE)		/* sizeof(struct gc_generation) */ \
	X(GC_GENERATION_HEAD)		/* offsetof(gc_generation, head) */ \
	X(GC_HEAD_SIZE)			/* sizeof(PyGC_Head) */ \
	X(GC_HEAD_NEXT) \
	X(GC_HEAD_PREV) \
	/* PyThreadState */ \
	X(TSTATE_NEXT) \
	X(TSTATE_INTERP) \
	X(TSTATE_FRAME)			/* ->frame (3.8-3.10) */ \
	X(TSTATE_CFRAME)		/* ->cframe (3.10-3.12) */ \
	X(CFRAME_CURRENT_FRAME)		/* _PyCFrame.current_frame (3.11, 3.12) */ \
	X(TSTATE_CURRENT_FRAME)		/* ->current_frame (3.13) */ \
	X(TSTATE_THREAD_ID) \
	X(TSTATE_NATIVE_THREAD_ID)	/* 3.11+ */ \
	X(TSTATE_DICT) \
	/* PyObject / PyVarObject */ \
	X(OBJECT_REFCNT) \
	X(OBJECT_TYPE) \
	X(VAROBJECT_SIZE) \
	/* PyTypeObject / PyHeapTypeObject */ \
	X(TYPE_NAME) \
	X(TYPE_BASICSIZE) \
	X(TYPE_ITEMSIZE) \
	X(TYPE_FLAGS) \
	X(TYPE_WEAKLISTOFFSET) \
	X(TYPE_BASE) \
	X(TYPE_DICT) \
	X(TYPE_DICTOFFSET) \
	X(TYPE_BASES) \
	X(TYPE_MRO) \
	X(TYPE_SUBCLASSES) \
	X(TYPE_SIZE)			/* sizeof(PyTypeObject) */ \
	X(HEAPTYPE_NAME)		/* ht_name */ \
	X(HEAPTYPE_SLOTS)		/* ht_slots */ \
	X(HEAPTYPE_QUALNAME) \
	X(HEAPTYPE_CACHED_KEYS) \
	X(HEAPTYPE_MODULE)		/* 3.9+ */ \
	X(HEAPTYPE_SIZE)		/* sizeof(PyHeapTypeObject) */ \
	X(MEMBERDEF_SIZE)		/* sizeof(PyMemberDef) */ \
	X(MEMBERDEF_NAME) \
	X(MEMBERDEF_TYPE) \
	X(MEMBERDEF_OFFSET) \
	X(MEMBERDEF_FLAGS) \
	/* str */ \
	X(ASCII_SIZE)			/* sizeof(PyASCIIObject) */ \
	X(COMPACT_SIZE)			/* sizeof(PyCompactUnicodeObject) */ \
	X(UNICODE_SIZE)			/* sizeof(PyUnicodeObject) */ \
	X(ASCII_LENGTH) \
	X(ASCII_HASH) \
	X(ASCII_STATE)			/* the state bit field's word */ \
	X(ASCII_WSTR)			/* <= 3.11 */ \
	X(COMPACT_UTF8_LENGTH) \
	X(COMPACT_UTF8) \
	X(COMPACT_WSTR_LENGTH)		/* <= 3.11 */ \
	X(UNICODE_DATA)			/* PyUnicodeObject.data.any */ \
	X(STATE_INTERNED_SHIFT)		/* bit positions in the state word */ \
	X(STATE_INTERNED_BITS) \
	X(STATE_KIND_SHIFT) \
	X(STATE_COMPACT_SHIFT) \
	X(STATE_ASCII_SHIFT) \
	X(STATE_READY_SHIFT)		/* <= 3.11; bit 7 is statically_allocated in 3.12+ */ \
	/* int, float, complex, bytes, bytearray */ \
	X(LONG_DIGITS)			/* offsetof(PyLongObject, ob_digit) */ \
	X(LONG_LV_TAG)			/* 3.12+ long_value.lv_tag */ \
	X(DIGIT_SIZE)			/* sizeof(digit) */ \
	X(FLOAT_VAL) \
	X(COMPLEX_VAL) \
	X(BYTES_HASH) \
	X(BYTES_SVAL) \
	X(BYTEARRAY_ALLOC) \
	X(BYTEARRAY_BYTES) \
	X(BYTEARRAY_START) \
	X(BYTEARRAY_SIZE)		/* sizeof(PyByteArrayObject) */ \
	/* tuple, list */ \
	X(TUPLE_ITEMS) \
	X(LIST_ITEMS) \
	X(LIST_ALLOCATED) \
	X(LIST_SIZE)			/* sizeof(PyListObject) */ \
	/* dict */ \
	X(DICT_MA_USED) \
	X(DICT_MA_KEYS) \
	X(DICT_MA_VALUES) \
	X(DICT_SIZE)			/* sizeof(PyDictObject) */ \
	X(DICTKEYS_REFCNT) \
	X(DICTKEYS_SIZE)		/* dk_size (3.8-3.10) */ \
	X(DICTKEYS_LOG2_SIZE)		/* dk_log2_size (3.11+) */ \
	X(DICTKEYS_LOG2_INDEX_BYTES)	/* 3.11+ */ \
	X(DICTKEYS_KIND)		/* dk_kind (3.11+) */ \
	X(DICTKEYS_USABLE) \
	X(DICTKEYS_NENTRIES) \
	X(DICTKEYS_INDICES) \
	X(DICTKEYS_STRUCT_SIZE)		/* sizeof(PyDictKeysObject) */ \
	X(DICTKEYENTRY_SIZE)		/* sizeof(PyDictKeyEntry) */ \
	X(DICTUNICODEENTRY_SIZE)	/* sizeof(PyDictUnicodeEntry), 3.11+ */ \
	X(DICTVALUES_VALUES)		/* offsetof(PyDictValues, values) */ \
	X(DICTVALUES_CAPACITY)		/* 3.13 */ \
	X(DICTVALUES_SIZE_FIELD)	/* 3.13 .size */ \
	X(DICTVALUES_VALID)		/* 3.13 .valid */ \
	X(DICTVALUES_EMBEDDED)		/* 3.13 .embedded */ \
	X(MANAGED_DICT_OFFSET)		/* dict pointer relative to object (3.11+, negative; \
					   3.12: PyDictOrValues, tagged) */ \
	X(MANAGED_VALUES_OFFSET)	/* values pointer (3.11 only, negative) */ \
	X(PREHEADER_SIZE)		/* bytes before the GC head with MANAGED_DICT (3.11+; \
					   3.12+: with MANAGED_WEAKREF too) */ \
	/* set */ \
	X(SET_FILL) \
	X(SET_USED) \
	X(SET_MASK) \
	X(SET_TABLE) \
	X(SET_SMALLTABLE) \
	X(SET_SIZE)			/* sizeof(PySetObject) */ \
	X(SETENTRY_SIZE) \
	/* functions, methods, cells, modules */ \
	X(FUNC_CODE) \
	X(FUNC_GLOBALS) \
	X(FUNC_BUILTINS)		/* 3.10+ */ \
	X(FUNC_NAME) \
	X(FUNC_QUALNAME) \
	X(FUNC_MODULE) \
	X(FUNC_DEFAULTS) \
	X(FUNC_KWDEFAULTS) \
	X(FUNC_CLOSURE) \
	X(FUNC_DOC) \
	X(FUNC_DICT) \
	X(FUNC_ANNOTATIONS) \
	X(FUNC_SIZE)			/* sizeof(PyFunctionObject) */ \
	X(METHOD_FUNC) \
	X(METHOD_SELF) \
	X(CELL_REF) \
	X(MODULE_DICT) \
	X(MODULE_NAME)			/* md_name */ \
	/* code */ \
	X(CODE_ARGCOUNT) \
	X(CODE_NLOCALS) \
	X(CODE_NLOCALSPLUS)		/* 3.11+ */ \
	X(CODE_FIRSTLINENO) \
	X(CODE_STACKSIZE) \
	X(CODE_CELL2ARG)		/* <= 3.10 */ \
	X(CODE_CODE)			/* co_code (<= 3.10) */ \
	X(CODE_CONSTS) \
	X(CODE_NAMES) \
	X(CODE_VARNAMES)		/* <= 3.10 */ \
	X(CODE_FREEVARS)		/* <= 3.10 */ \
	X(CODE_CELLVARS)		/* <= 3.10 */ \
	X(CODE_LOCALSPLUSNAMES)		/* 3.11+ */ \
	X(CODE_LOCALSPLUSKINDS)		/* 3.11+ */ \
	X(CODE_FILENAME) \
	X(CODE_NAME) \
	X(CODE_QUALNAME)		/* 3.11+ */ \
	X(CODE_LNOTAB)			/* co_lnotab (3.8, 3.9) */ \
	X(CODE_LINETABLE)		/* co_linetable (3.10+) */ \
	X(CODE_EXCEPTIONTABLE)		/* 3.11+ */ \
	X(CODE_ADAPTIVE)		/* co_code_adaptive (3.11+) */ \
	X(CODE_SIZE)			/* sizeof(PyCodeObject) */ \
	/* frames */ \
	X(FRAME_BACK)			/* PyFrameObject.f_back */ \
	X(FRAME_CODE)			/* f_code (<= 3.10) */ \
	X(FRAME_LASTI)			/* f_lasti (<= 3.10) */ \
	X(FRAME_LINENO) \
	X(FRAME_LOCALSPLUS)		/* f_localsplus (<= 3.10) */ \
	X(FRAME_FRAME)			/* f_frame (3.11+) */ \
	X(FRAME_GLOBALS)		/* <= 3.10 */ \
	X(FRAME_LOCALS)			/* <= 3.10 */ \
	X(FRAME_VALUESTACK)		/* f_valuestack (<= 3.10) */ \
	X(FRAME_STACKTOP)		/* f_stacktop (3.8, 3.9) / f_stackdepth (3.10) */ \
	X(IFRAME_CODE)			/* _PyInterpreterFrame.f_code / f_executable */ \
	X(IFRAME_PREVIOUS) \
	X(IFRAME_FUNC)			/* f_func / f_funcobj */ \
	X(IFRAME_GLOBALS) \
	X(IFRAME_LOCALS) \
	X(IFRAME_FRAME_OBJ) \
	X(IFRAME_INSTR)			/* prev_instr (3.11, 3.12) / instr_ptr (3.13) */ \
	X(IFRAME_STACKTOP) \
	X(IFRAME_OWNER) \
	X(IFRAME_LOCALSPLUS) \
	/* generators and coroutines */ \
	X(GEN_FRAME)			/* gi_frame (<= 3.10) */ \
	X(GEN_IFRAME)			/* gi_iframe (3.11+) */ \
	X(GEN_CODE)			/* gi_code (3.8-3.11) */ \
	X(GEN_NAME) \
	X(GEN_QUALNAME) \
	X(GEN_WEAKREFLIST) \
	X(GEN_FRAME_STATE)		/* gi_frame_state (3.11+) */ \
	/* weak references */ \
	X(WEAKREF_OBJECT)		/* wr_object */ \
	X(WEAKREF_CALLBACK) \
	/* tracemalloc: its state, _Py_hashtable_t, trace_t, traceback_t */ \
	X(RUNTIME_TRACEMALLOC)		/* _PyRuntime.tracemalloc (3.12+) */ \
	X(TM_CONFIG_TRACING)		/* struct _PyTraceMalloc_Config */ \
	X(TM_CONFIG_MAX_NFRAME) \
	X(TM_STATE_TRACED_MEMORY)	/* _tracemalloc_runtime_state (3.12+) */ \
	X(TM_STATE_TRACES) \
	X(TM_STATE_DOMAINS) \
	X(HASHTABLE_NENTRIES)		/* _Py_hashtable_t .entries (3.8) */ \
	X(HASHTABLE_NBUCKETS)		/* .num_buckets (3.8) */ \
	X(HASHTABLE_BUCKETS) \
	X(HASHTABLE_KEY_SIZE)		/* 3.8: key and data inline in entries */ \
	X(HASHTABLE_DATA_SIZE)		/* 3.8 */ \
	X(HASHTABLE_ENTRY_NEXT)		/* _Py_hashtable_entry_t's slist link */ \
	X(HASHTABLE_ENTRY_KEY)		/* the key (3.8: its first byte) */ \
	X(HASHTABLE_ENTRY_VALUE)	/* the value (3.9+; 3.8: data after key) */ \
	X(TM_TRACE_SIZE)		/* trace_t .size */ \
	X(TM_TRACE_TRACEBACK) \
	X(TM_TRACEBACK_NFRAME)		/* traceback_t .nframe */ \
	X(TM_TRACEBACK_NFRAME_SIZE)	/* its size: int (3.8), uint16_t */ \
	X(TM_TRACEBACK_TOTAL_NFRAME)	/* 3.9+ */ \
	X(TM_TRACEBACK_FRAMES) \
	X(TM_FRAME_SIZE)		/* sizeof(frame_t), packed */ \
	X(TM_FRAME_FILENAME) \
	X(TM_FRAME_LINENO) \
	/* constants (values, not offsets) */ \
	X(TPFLAGS_MANAGED_DICT)		/* Py_TPFLAGS_MANAGED_DICT (3.11+) */ \
	X(TPFLAGS_MANAGED_WEAKREF)	/* 3.12+ */ \
	X(TPFLAGS_INLINE_VALUES)	/* 3.13 */ \
	X(IMMORTAL_REFCNT)		/* _Py_IMMORTAL_REFCNT (3.12+), low 32 bits */ \
	X(NUM_GENERATIONS) \
	/* pm-tasks: frames, generators, opcodes (values, not offsets) */ \
	X(CODE_FIRSTTRACEABLE)		/* _co_firsttraceable (3.11+) */ \
	X(FRAME_STATE)			/* PyFrameObject.f_state (3.10) */ \
	X(OP_YIELD_FROM)		/* YIELD_FROM (3.8-3.10) */ \
	X(OP_RESUME)			/* RESUME (3.11+) */ \
	X(OP_RESUME_ALT)		/* RESUME_QUICK 3.11, INSTRUMENTED_RESUME 3.12, \
					   RESUME_CHECK 3.13 */ \
	X(OP_BEFORE_WITH)		/* SETUP_WITH (<= 3.10), BEFORE_WITH (3.11+) */ \
	/* _asyncio FutureObj / TaskObj (Modules/_asynciomodule.c) */ \
	X(FUTURE_LOOP)			/* fut_loop */ \
	X(FUTURE_CALLBACK0)		/* fut_callback0 */ \
	X(FUTURE_CALLBACKS)		/* fut_callbacks (a list or NULL) */ \
	X(FUTURE_EXCEPTION)		/* fut_exception */ \
	X(FUTURE_RESULT)		/* fut_result */ \
	X(FUTURE_STATE)			/* fut_state: 0 pending, 1 cancelled, 2 finished */ \
	X(TASK_FUT_WAITER)		/* task_fut_waiter: what the task awaits */ \
	X(TASK_CORO)			/* task_coro */ \
	X(TASK_NAME)			/* task_name: str, or an int N for "Task-N" */ \
	/* _thread lock and RLock (Modules/_threadmodule.c) */ \
	X(LOCK_LOCKED)			/* lockobject.locked (char) */ \
	X(RLOCK_OWNER)			/* rlockobject.rlock_owner: thread ident */ \
	X(RLOCK_COUNT)			/* rlockobject.rlock_count */ \
	/* pymalloc (Objects/obmalloc.c; pycore_obmalloc.h from 3.12) */ \
	X(INTERP_OBMALLOC)		/* interp->obmalloc, the struct (3.12) */ \
	X(INTERP_OBMALLOC_PTR)		/* interp->obmalloc, a pointer to it (3.13) */ \
	X(OBMALLOC_MGMT_ARENAS)		/* _obmalloc_state.mgmt.arenas (3.12+) */ \
	X(OBMALLOC_MGMT_MAXARENAS)	/* .mgmt.maxarenas (3.12+) */ \
	X(OBMALLOC_MGMT_NARENAS)	/* .mgmt.narenas_currently_allocated */ \
	X(ARENA_OBJECT_SIZE)		/* sizeof(struct arena_object) */ \
	X(ARENA_OBJECT_ADDRESS) \
	X(ARENA_OBJECT_POOL_ADDRESS) \
	X(ARENA_OBJECT_NFREEPOOLS) \
	X(POOL_HEADER_COUNT)		/* pool_header.ref.count */ \
	X(POOL_HEADER_ARENAINDEX) \
	X(POOL_HEADER_SZIDX) \
	X(POOL_OVERHEAD)		/* header bytes before the first block */ \
	X(ARENA_SIZE)			/* values, not offsets */ \
	X(POOL_SIZE) \
	X(OBMALLOC_ALIGNMENT_SHIFT)	/* block size = (szidx + 1) << shift */

enum pm_layout_key {
#define PM_LAYOUT_ENUM(k) PM_L_##k,
	PM_LAYOUT_KEYS(PM_LAYOUT_ENUM)
#undef PM_LAYOUT_ENUM
	PM_L_COUNT
};

struct pm_layout {
	int minor;			/* 8 for 3.8 ... 13 for 3.13 */
	int64_t off[PM_L_COUNT];	/* -1 where the version has no such field */
};

/* The layout of Python 3.minor, or NULL when not supported. */
const struct pm_layout *pm_layout_get(int minor);

/* The name of a key without the PM_L_ prefix ("DICT_MA_KEYS"); NULL if k is
 * not a key. */
const char *pm_layout_key_name(enum pm_layout_key k);

/* Look a key up by that name; -1 if none. */
int pm_layout_key_find(const char *name);

/* Value of key k in layout l (-1 when the version lacks it). */
#define PM_L(l, k) ((l)->off[PM_L_##k])

#endif
