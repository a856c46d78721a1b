/*
 * pylayout.c - CPython's memory layout for 3.8 to 3.13 (x86-64, default
 * build: no Py_DEBUG, no free threading), one row per key.
 *
 * Each row is a key of lib/pylayout.h and its value in 3.8, 3.9, 3.10,
 * 3.11, 3.12 and 3.13, in the header's order. -1 means the version has no
 * such field. Rows are kept from the headers each interpreter installs:
 * tests/layout/probe.c prints offsetof/sizeof for every key the headers
 * declare, tests/layout/check.sh compares that with this table for each
 * installed version, and tests/layout/gen.sh prints fresh rows for a new
 * version. The few values no installed header declares say where they
 * come from in a comment above their rows.
 *
 * Meanings that change between versions (see also the header):
 * - FRAME_STACKTOP is a pointer (f_stacktop, NULL when the frame is not
 *   running) in 3.8 and 3.9, an int count (f_stackdepth) in 3.10.
 * - IFRAME_INSTR is prev_instr (the last instruction run) in 3.11 and
 *   3.12, instr_ptr (the next one) in 3.13; IFRAME_CODE is f_executable in
 *   3.13, which holds a code object for Python frames.
 * - MANAGED_DICT_OFFSET is the dict pointer in 3.11 and 3.13 (the 3.11
 *   values pointer is MANAGED_VALUES_OFFSET; 3.13 keeps the values inline
 *   at obj + tp_basicsize), but a PyDictOrValues in 3.12: values pointer
 *   when the low bit is set.
 * - Bit 7 of the str state word is "ready" up to 3.11 and
 *   "statically_allocated" from 3.12.
 * - INTERP_TYPES_BUILTINS is types.builtins[] (static_builtin_state) in
 *   3.12 and types.builtins.initialized[] (managed_static_type_state, which
 *   adds isbuiltin) in 3.13.
 */
#include <stddef.h>
#include <string.h>

#include "pylayout.h"

/*	key					3.8	3.9	3.10	3.11	3.12	3.13 */
#define PM_LAYOUT_ROWS(X) \
	/* _PyRuntimeState and PyInterpreterState */ \
	X(RUNTIME_INTERPRETERS_HEAD,		32,	32,	32,	40,	40,	632) \
	X(RUNTIME_GC,				344,	-1,	-1,	-1,	-1,	-1) \
	X(INTERP_NEXT,				0,	0,	0,	0,	0,	7264) \
	X(INTERP_TSTATE_HEAD,			8,	8,	8,	16,	72,	7344) \
	X(INTERP_MODULES,			56,	856,	856,	888,	944,	7656) \
	X(INTERP_SYSDICT,			72,	872,	872,	904,	352,	7640) \
	X(INTERP_BUILTINS,			80,	880,	880,	912,	360,	7648) \
	X(INTERP_GC,				-1,	616,	616,	648,	112,	7400) \
	X(INTERP_TYPES_BUILTINS,		-1,	-1,	-1,	-1,	373704,	182968) \
	X(STATIC_BUILTIN_STATE_SIZE,		-1,	-1,	-1,	-1,	40,	48) \
	X(STATIC_BUILTIN_STATE_TYPE,		-1,	-1,	-1,	-1,	0,	0) \
	X(STATIC_BUILTIN_STATE_TP_DICT,		-1,	-1,	-1,	-1,	16,	24) \
	X(STATIC_BUILTIN_STATE_TP_SUBCLASSES,	-1,	-1,	-1,	-1,	24,	32) \
	X(INTERP_TYPES_NUM_BUILTINS,		-1,	-1,	-1,	-1,	200,	200) \
	X(INTERP_TYPES_FOR_EXTENSIONS,		-1,	-1,	-1,	-1,	-1,	192584) \
	X(INTERP_TYPES_NUM_FOR_EXTENSIONS,	-1,	-1,	-1,	-1,	-1,	10) \
	/* struct _gc_runtime_state / struct gc_generation */ \
	X(GC_GENERATIONS,			24,	24,	24,	24,	24,	24) \
	X(GC_PERMANENT_GENERATION,		104,	104,	104,	104,	104,	104) \
	X(GC_GENERATION_SIZE,			24,	24,	24,	24,	24,	24) \
	X(GC_GENERATION_HEAD,			0,	0,	0,	0,	0,	0) \
	X(GC_HEAD_SIZE,				16,	16,	16,	16,	16,	16) \
	X(GC_HEAD_NEXT,				0,	0,	0,	0,	0,	0) \
	X(GC_HEAD_PREV,				8,	8,	8,	8,	8,	8) \
	/* PyThreadState */ \
	X(TSTATE_NEXT,				8,	8,	8,	8,	8,	8) \
	X(TSTATE_INTERP,			16,	16,	16,	16,	16,	16) \
	X(TSTATE_FRAME,				24,	24,	24,	-1,	-1,	-1) \
	X(TSTATE_CFRAME,			-1,	-1,	48,	56,	56,	-1) \
	X(CFRAME_CURRENT_FRAME,			-1,	-1,	-1,	8,	0,	-1) \
	X(TSTATE_CURRENT_FRAME,			-1,	-1,	-1,	-1,	-1,	72) \
	X(TSTATE_THREAD_ID,			176,	176,	176,	152,	136,	152) \
	X(TSTATE_NATIVE_THREAD_ID,		-1,	-1,	-1,	160,	144,	160) \
	X(TSTATE_DICT,				152,	152,	152,	128,	112,	128) \
	/* PyObject / PyVarObject */ \
	X(OBJECT_REFCNT,			0,	0,	0,	0,	0,	0) \
	X(OBJECT_TYPE,				8,	8,	8,	8,	8,	8) \
	X(VAROBJECT_SIZE,			16,	16,	16,	16,	16,	16) \
	/* PyTypeObject / PyHeapTypeObject */ \
	X(TYPE_NAME,				24,	24,	24,	24,	24,	24) \
	X(TYPE_BASICSIZE,			32,	32,	32,	32,	32,	32) \
	X(TYPE_ITEMSIZE,			40,	40,	40,	40,	40,	40) \
	X(TYPE_FLAGS,				168,	168,	168,	168,	168,	168) \
	X(TYPE_WEAKLISTOFFSET,			208,	208,	208,	208,	208,	208) \
	X(TYPE_BASE,				256,	256,	256,	256,	256,	256) \
	X(TYPE_DICT,				264,	264,	264,	264,	264,	264) \
	X(TYPE_DICTOFFSET,			288,	288,	288,	288,	288,	288) \
	X(TYPE_BASES,				336,	336,	336,	336,	336,	336) \
	X(TYPE_MRO,				344,	344,	344,	344,	344,	344) \
	X(TYPE_SUBCLASSES,			360,	360,	360,	360,	360,	360) \
	X(TYPE_SIZE,				416,	408,	408,	408,	416,	416) \
	X(HEAPTYPE_NAME,			848,	840,	848,	848,	856,	856) \
	X(HEAPTYPE_SLOTS,			856,	848,	856,	856,	864,	864) \
	X(HEAPTYPE_QUALNAME,			864,	856,	864,	864,	872,	872) \
	X(HEAPTYPE_CACHED_KEYS,			872,	864,	872,	872,	880,	880) \
	X(HEAPTYPE_MODULE,			-1,	872,	880,	880,	888,	888) \
	X(HEAPTYPE_SIZE,			880,	880,	888,	904,	920,	928) \
	X(MEMBERDEF_SIZE,			40,	40,	40,	40,	40,	40) \
	X(MEMBERDEF_NAME,			0,	0,	0,	0,	0,	0) \
	X(MEMBERDEF_TYPE,			8,	8,	8,	8,	8,	8) \
	X(MEMBERDEF_OFFSET,			16,	16,	16,	16,	16,	16) \
	X(MEMBERDEF_FLAGS,			24,	24,	24,	24,	24,	24) \
	/* str */ \
	X(ASCII_SIZE,				48,	48,	48,	48,	40,	40) \
	X(COMPACT_SIZE,				72,	72,	72,	72,	56,	56) \
	X(UNICODE_SIZE,				80,	80,	80,	80,	64,	64) \
	X(ASCII_LENGTH,				16,	16,	16,	16,	16,	16) \
	X(ASCII_HASH,				24,	24,	24,	24,	24,	24) \
	X(ASCII_STATE,				32,	32,	32,	32,	32,	32) \
	X(ASCII_WSTR,				40,	40,	40,	40,	-1,	-1) \
	X(COMPACT_UTF8_LENGTH,			48,	48,	48,	48,	40,	40) \
	X(COMPACT_UTF8,				56,	56,	56,	56,	48,	48) \
	X(COMPACT_WSTR_LENGTH,			64,	64,	64,	64,	-1,	-1) \
	X(UNICODE_DATA,				72,	72,	72,	72,	56,	56) \
	X(STATE_INTERNED_SHIFT,			0,	0,	0,	0,	0,	0) \
	X(STATE_INTERNED_BITS,			2,	2,	2,	2,	2,	2) \
	X(STATE_KIND_SHIFT,			2,	2,	2,	2,	2,	2) \
	X(STATE_COMPACT_SHIFT,			5,	5,	5,	5,	5,	5) \
	X(STATE_ASCII_SHIFT,			6,	6,	6,	6,	6,	6) \
	X(STATE_READY_SHIFT,			7,	7,	7,	7,	-1,	-1) \
	/* int, float, complex, bytes, bytearray */ \
	X(LONG_DIGITS,				24,	24,	24,	24,	24,	24) \
	X(LONG_LV_TAG,				-1,	-1,	-1,	-1,	16,	16) \
	X(DIGIT_SIZE,				4,	4,	4,	4,	4,	4) \
	X(FLOAT_VAL,				16,	16,	16,	16,	16,	16) \
	X(COMPLEX_VAL,				16,	16,	16,	16,	16,	16) \
	X(BYTES_HASH,				24,	24,	24,	24,	24,	24) \
	X(BYTES_SVAL,				32,	32,	32,	32,	32,	32) \
	X(BYTEARRAY_ALLOC,			24,	24,	24,	24,	24,	24) \
	X(BYTEARRAY_BYTES,			32,	32,	32,	32,	32,	32) \
	X(BYTEARRAY_START,			40,	40,	40,	40,	40,	40) \
	X(BYTEARRAY_SIZE,			56,	56,	56,	56,	56,	56) \
	/* tuple, list */ \
	X(TUPLE_ITEMS,				24,	24,	24,	24,	24,	24) \
	X(LIST_ITEMS,				24,	24,	24,	24,	24,	24) \
	X(LIST_ALLOCATED,			32,	32,	32,	32,	32,	32) \
	X(LIST_SIZE,				40,	40,	40,	40,	40,	40) \
	/* dict */ \
	X(DICT_MA_USED,				16,	16,	16,	16,	16,	16) \
	X(DICT_MA_KEYS,				32,	32,	32,	32,	32,	32) \
	X(DICT_MA_VALUES,			40,	40,	40,	40,	40,	40) \
	X(DICT_SIZE,				48,	48,	48,	48,	48,	48) \
	/* \
	 * PyDictKeysObject and PyDictKeyEntry of 3.8 to 3.10 are declared in \
	 * Objects/dict-common.h, which is not installed, so the probe cannot \
	 * check them. From that file (the same in 3.8, 3.9 and 3.10): \
	 * dk_refcnt, dk_size, dk_lookup (a function pointer), dk_usable, \
	 * dk_nentries, then dk_indices[]; entries are {me_hash, me_key, \
	 * me_value}. Checked with ctypes on a live {3 str keys} dict of each \
	 * version: dk_size 8, dk_usable 2, dk_nentries 3 at these offsets, \
	 * the entries at 40 + dk_size, 24 bytes apart. \
	 */ \
	X(DICTKEYS_REFCNT,			0,	0,	0,	0,	0,	0) \
	X(DICTKEYS_SIZE,			8,	8,	8,	-1,	-1,	-1) \
	X(DICTKEYS_LOG2_SIZE,			-1,	-1,	-1,	8,	8,	8) \
	X(DICTKEYS_LOG2_INDEX_BYTES,		-1,	-1,	-1,	9,	9,	9) \
	X(DICTKEYS_KIND,			-1,	-1,	-1,	10,	10,	10) \
	X(DICTKEYS_USABLE,			24,	24,	24,	16,	16,	16) \
	X(DICTKEYS_NENTRIES,			32,	32,	32,	24,	24,	24) \
	X(DICTKEYS_INDICES,			40,	40,	40,	32,	32,	32) \
	X(DICTKEYS_STRUCT_SIZE,			40,	40,	40,	32,	32,	32) \
	X(DICTKEYENTRY_SIZE,			24,	24,	24,	24,	24,	24) \
	X(DICTUNICODEENTRY_SIZE,		-1,	-1,	-1,	16,	16,	16) \
	X(DICTVALUES_VALUES,			-1,	-1,	-1,	0,	0,	8) \
	X(DICTVALUES_CAPACITY,			-1,	-1,	-1,	-1,	-1,	0) \
	X(DICTVALUES_SIZE_FIELD,		-1,	-1,	-1,	-1,	-1,	1) \
	X(DICTVALUES_VALID,			-1,	-1,	-1,	-1,	-1,	3) \
	X(DICTVALUES_EMBEDDED,			-1,	-1,	-1,	-1,	-1,	2) \
	X(MANAGED_DICT_OFFSET,			-1,	-1,	-1,	-24,	-24,	-24) \
	X(MANAGED_VALUES_OFFSET,		-1,	-1,	-1,	-32,	-1,	-1) \
	X(PREHEADER_SIZE,			-1,	-1,	-1,	16,	16,	16) \
	/* set */ \
	X(SET_FILL,				16,	16,	16,	16,	16,	16) \
	X(SET_USED,				24,	24,	24,	24,	24,	24) \
	X(SET_MASK,				32,	32,	32,	32,	32,	32) \
	X(SET_TABLE,				40,	40,	40,	40,	40,	40) \
	X(SET_SMALLTABLE,			64,	64,	64,	64,	64,	64) \
	X(SET_SIZE,				200,	200,	200,	200,	200,	200) \
	X(SETENTRY_SIZE,			16,	16,	16,	16,	16,	16) \
	/* functions, methods, cells, modules */ \
	X(FUNC_CODE,				16,	16,	48,	48,	48,	48) \
	X(FUNC_GLOBALS,				24,	24,	16,	16,	16,	16) \
	X(FUNC_BUILTINS,			-1,	-1,	24,	24,	24,	24) \
	X(FUNC_NAME,				64,	64,	32,	32,	32,	32) \
	X(FUNC_QUALNAME,			104,	104,	40,	40,	40,	40) \
	X(FUNC_MODULE,				88,	88,	104,	104,	104,	104) \
	X(FUNC_DEFAULTS,			32,	32,	56,	56,	56,	56) \
	X(FUNC_KWDEFAULTS,			40,	40,	64,	64,	64,	64) \
	X(FUNC_CLOSURE,				48,	48,	72,	72,	72,	72) \
	X(FUNC_DOC,				56,	56,	80,	80,	80,	80) \
	X(FUNC_DICT,				72,	72,	88,	88,	88,	88) \
	X(FUNC_ANNOTATIONS,			96,	96,	112,	112,	112,	112) \
	X(FUNC_SIZE,				120,	120,	128,	136,	144,	144) \
	X(METHOD_FUNC,				16,	16,	16,	16,	16,	16) \
	X(METHOD_SELF,				24,	24,	24,	24,	24,	24) \
	X(CELL_REF,				16,	16,	16,	16,	16,	16) \
	/* \
	 * PyModuleObject is private to Objects/moduleobject.c before 3.10 \
	 * (pycore_moduleobject.h from 3.10): {HEAD, md_dict, md_def, md_state, \
	 * md_weaklist, md_name} in 3.8 and 3.9 as in 3.10. Checked with ctypes: \
	 * json's md_dict is json.__dict__ and md_name is 'json'. \
	 */ \
	X(MODULE_DICT,				16,	16,	16,	16,	16,	16) \
	X(MODULE_NAME,				48,	48,	48,	48,	48,	48) \
	/* code */ \
	X(CODE_ARGCOUNT,			16,	16,	16,	56,	52,	52) \
	X(CODE_NLOCALS,				28,	28,	28,	80,	80,	80) \
	X(CODE_NLOCALSPLUS,			-1,	-1,	-1,	76,	72,	72) \
	X(CODE_FIRSTLINENO,			40,	40,	40,	72,	68,	68) \
	X(CODE_STACKSIZE,			32,	32,	32,	68,	64,	64) \
	X(CODE_CELL2ARG,			96,	96,	96,	-1,	-1,	-1) \
	X(CODE_CODE,				48,	48,	48,	-1,	-1,	-1) \
	X(CODE_CONSTS,				56,	56,	56,	24,	24,	24) \
	X(CODE_NAMES,				64,	64,	64,	32,	32,	32) \
	X(CODE_VARNAMES,			72,	72,	72,	-1,	-1,	-1) \
	X(CODE_FREEVARS,			80,	80,	80,	-1,	-1,	-1) \
	X(CODE_CELLVARS,			88,	88,	88,	-1,	-1,	-1) \
	X(CODE_LOCALSPLUSNAMES,			-1,	-1,	-1,	96,	96,	96) \
	X(CODE_LOCALSPLUSKINDS,			-1,	-1,	-1,	104,	104,	104) \
	X(CODE_FILENAME,			104,	104,	104,	112,	112,	112) \
	X(CODE_NAME,				112,	112,	112,	120,	120,	120) \
	X(CODE_QUALNAME,			-1,	-1,	-1,	128,	128,	128) \
	X(CODE_LNOTAB,				120,	120,	-1,	-1,	-1,	-1) \
	X(CODE_LINETABLE,			-1,	-1,	120,	136,	136,	136) \
	X(CODE_EXCEPTIONTABLE,			-1,	-1,	-1,	40,	40,	40) \
	X(CODE_ADAPTIVE,			-1,	-1,	-1,	184,	192,	200) \
	X(CODE_SIZE,				176,	176,	176,	192,	200,	208) \
	/* frames */ \
	X(FRAME_BACK,				24,	24,	24,	16,	16,	16) \
	X(FRAME_CODE,				32,	32,	32,	-1,	-1,	-1) \
	X(FRAME_LASTI,				104,	104,	96,	-1,	-1,	-1) \
	X(FRAME_LINENO,				108,	108,	100,	40,	40,	40) \
	X(FRAME_LOCALSPLUS,			360,	360,	352,	-1,	-1,	-1) \
	X(FRAME_FRAME,				-1,	-1,	-1,	24,	24,	24) \
	X(FRAME_GLOBALS,			48,	48,	48,	-1,	-1,	-1) \
	X(FRAME_LOCALS,				56,	56,	56,	-1,	-1,	-1) \
	X(FRAME_VALUESTACK,			64,	64,	64,	-1,	-1,	-1) \
	X(FRAME_STACKTOP,			72,	72,	80,	-1,	-1,	-1) \
	X(IFRAME_CODE,				-1,	-1,	-1,	32,	0,	0) \
	X(IFRAME_PREVIOUS,			-1,	-1,	-1,	48,	8,	8) \
	X(IFRAME_FUNC,				-1,	-1,	-1,	0,	16,	16) \
	X(IFRAME_GLOBALS,			-1,	-1,	-1,	8,	24,	24) \
	X(IFRAME_LOCALS,			-1,	-1,	-1,	24,	40,	40) \
	X(IFRAME_FRAME_OBJ,			-1,	-1,	-1,	40,	48,	48) \
	X(IFRAME_INSTR,				-1,	-1,	-1,	56,	56,	56) \
	X(IFRAME_STACKTOP,			-1,	-1,	-1,	64,	64,	64) \
	X(IFRAME_OWNER,				-1,	-1,	-1,	69,	70,	70) \
	X(IFRAME_LOCALSPLUS,			-1,	-1,	-1,	72,	72,	72) \
	/* generators and coroutines */ \
	X(GEN_FRAME,				16,	16,	16,	-1,	-1,	-1) \
	X(GEN_IFRAME,				-1,	-1,	-1,	80,	72,	72) \
	X(GEN_CODE,				32,	32,	24,	16,	-1,	-1) \
	X(GEN_NAME,				48,	48,	40,	32,	24,	24) \
	X(GEN_QUALNAME,				56,	56,	48,	40,	32,	32) \
	X(GEN_WEAKREFLIST,			40,	40,	32,	24,	16,	16) \
	X(GEN_FRAME_STATE,			-1,	-1,	-1,	75,	67,	67) \
	/* weak references */ \
	X(WEAKREF_OBJECT,			16,	16,	16,	16,	16,	16) \
	X(WEAKREF_CALLBACK,			24,	24,	24,	24,	24,	24) \
	/* \
	 * tracemalloc. 3.12+ headers declare its state, _Py_hashtable_t and \
	 * traceback_t; 3.9-3.11 only _Py_hashtable_t and the config. The \
	 * rest is private to Modules/_tracemalloc.c (3.8-3.11) and \
	 * Modules/hashtable.h (3.8): _Py_hashtable_t {num_buckets, entries, \
	 * buckets, key_size, data_size, ...}, entries of 16 bytes (link, \
	 * key_hash) followed by key_size bytes of key and data_size of data; \
	 * trace_t {size_t size; traceback_t *traceback} (also private in \
	 * 3.12+ Python/tracemalloc.c); traceback_t {Py_uhash_t hash; int \
	 * nframe (3.8) or uint16_t nframe, total_nframe; frame_t frames[]} \
	 * with frame_t {PyObject *filename; unsigned int lineno} packed. \
	 * The offsets are the DWARF of pyenv's builds (gdb ptype /o), and \
	 * tests/tracemalloc.bats checks them by behaviour on each version: \
	 * the traces read must be those tracemalloc reports from inside. \
	 */ \
	X(RUNTIME_TRACEMALLOC,			-1,	-1,	-1,	-1,	2768,	10080) \
	X(TM_CONFIG_TRACING,			4,	4,	4,	4,	4,	4) \
	X(TM_CONFIG_MAX_NFRAME,			8,	8,	8,	8,	8,	8) \
	X(TM_STATE_TRACED_MEMORY,		-1,	-1,	-1,	-1,	144,	144) \
	X(TM_STATE_TRACES,			-1,	-1,	-1,	-1,	184,	184) \
	X(TM_STATE_DOMAINS,			-1,	-1,	-1,	-1,	192,	192) \
	X(HASHTABLE_NENTRIES,			8,	0,	0,	0,	0,	0) \
	X(HASHTABLE_NBUCKETS,			0,	8,	8,	8,	8,	8) \
	X(HASHTABLE_BUCKETS,			16,	16,	16,	16,	16,	16) \
	X(HASHTABLE_KEY_SIZE,			24,	-1,	-1,	-1,	-1,	-1) \
	X(HASHTABLE_DATA_SIZE,			32,	-1,	-1,	-1,	-1,	-1) \
	X(HASHTABLE_ENTRY_NEXT,			0,	0,	0,	0,	0,	0) \
	X(HASHTABLE_ENTRY_KEY,			16,	16,	16,	16,	16,	16) \
	X(HASHTABLE_ENTRY_VALUE,		-1,	24,	24,	24,	24,	24) \
	X(TM_TRACE_SIZE,			0,	0,	0,	0,	0,	0) \
	X(TM_TRACE_TRACEBACK,			8,	8,	8,	8,	8,	8) \
	X(TM_TRACEBACK_NFRAME,			8,	8,	8,	8,	8,	8) \
	X(TM_TRACEBACK_NFRAME_SIZE,		4,	2,	2,	2,	2,	2) \
	X(TM_TRACEBACK_TOTAL_NFRAME,		-1,	10,	10,	10,	10,	10) \
	X(TM_TRACEBACK_FRAMES,			12,	12,	12,	12,	12,	12) \
	X(TM_FRAME_SIZE,			12,	12,	12,	12,	12,	12) \
	X(TM_FRAME_FILENAME,			0,	0,	0,	0,	0,	0) \
	X(TM_FRAME_LINENO,			8,	8,	8,	8,	8,	8) \
	/* constants (values, not offsets) */ \
	X(TPFLAGS_MANAGED_DICT,			-1,	-1,	-1,	16,	16,	16) \
	X(TPFLAGS_MANAGED_WEAKREF,		-1,	-1,	-1,	-1,	8,	8) \
	X(TPFLAGS_INLINE_VALUES,		-1,	-1,	-1,	-1,	-1,	4) \
	X(IMMORTAL_REFCNT,			-1,	-1,	-1,	-1,	4294967295,	4294967295) \
	X(NUM_GENERATIONS,			3,	3,	3,	3,	3,	3) \
	/* pm-tasks: frames, generators, opcodes (values, not offsets) */ \
	X(CODE_FIRSTTRACEABLE,			-1,	-1,	-1,	168,	176,	184) \
	X(FRAME_STATE,				-1,	-1,	108,	-1,	-1,	-1) \
	X(OP_YIELD_FROM,			72,	72,	72,	-1,	-1,	-1) \
	X(OP_RESUME,				-1,	-1,	-1,	151,	151,	149) \
	X(OP_RESUME_ALT,			-1,	-1,	-1,	150,	240,	207) \
	X(OP_BEFORE_WITH,			143,	143,	143,	53,	53,	2) \
	/* \
	 * _asyncio's FutureObj and TaskObj and _thread's lock and RLock are \
	 * private to Modules/_asynciomodule.c and Modules/_threadmodule.c, \
	 * so no header can check them: the fields are FutureObj_HEAD's \
	 * order in each version's source, and the offsets were measured \
	 * with ctypes on live objects of every version (id(task.get_coro()), \
	 * id(task.get_name()), id(task._fut_waiter), a future's callback, \
	 * result and exception; the state word that reads 0, 1, 2 for a \
	 * pending, cancelled and finished future; an RLock held twice by a \
	 * thread: its ident and 2; the byte a Lock's acquire sets). \
	 * tests/pm-tasks.bats measures them again on each interpreter. \
	 */ \
	X(FUTURE_LOOP,				16,	16,	16,	16,	16,	16) \
	X(FUTURE_CALLBACK0,			24,	24,	24,	24,	24,	24) \
	X(FUTURE_CALLBACKS,			40,	40,	40,	40,	40,	40) \
	X(FUTURE_EXCEPTION,			48,	48,	48,	48,	48,	48) \
	X(FUTURE_RESULT,			56,	56,	64,	64,	64,	64) \
	X(FUTURE_STATE,				72,	80,	88,	88,	88,	96) \
	X(TASK_FUT_WAITER,			104,	144,	152,	128,	128,	112) \
	X(TASK_CORO,				112,	152,	160,	136,	136,	120) \
	X(TASK_NAME,				120,	160,	168,	144,	144,	128) \
	X(LOCK_LOCKED,				32,	32,	32,	32,	32,	32) \
	X(RLOCK_OWNER,				24,	24,	24,	24,	24,	24) \
	X(RLOCK_COUNT,				32,	32,	32,	32,	32,	32) \
	/* \
	 * pymalloc. 3.8-3.11 keep the arena table in the file-static \
	 * variables arenas and maxarenas of Objects/obmalloc.c (read through \
	 * their .symtab symbols), and struct arena_object and struct \
	 * pool_header are private to that file; their fields are the same \
	 * in 3.8-3.13 (address, pool_address, nfreepools, ntotalpools, \
	 * freepools, nextarena, prevarena; ref, freeblock, nextpool, \
	 * prevpool, arenaindex, szidx, nextoffset, maxnextoffset), and \
	 * ALIGNMENT is 16 on 64-bit builds since 3.8. Arenas are 256 KiB of \
	 * 4 KiB pools in 3.8 and 3.9, 1 MiB of 16 KiB pools from 3.10 \
	 * (USE_LARGE_ARENAS, USE_LARGE_POOLS with the radix tree). Checked \
	 * on every version by tests/pm-memory.bats, which compares the \
	 * arenas, blocks, pools and headers counted from these values with \
	 * what sys._debugmallocstats() prints inside the target. \
	 */ \
	X(INTERP_OBMALLOC,			-1,	-1,	-1,	-1,	3960,	-1) \
	X(INTERP_OBMALLOC_PTR,			-1,	-1,	-1,	-1,	-1,	10800) \
	X(OBMALLOC_MGMT_ARENAS,			-1,	-1,	-1,	-1,	512,	512) \
	X(OBMALLOC_MGMT_MAXARENAS,		-1,	-1,	-1,	-1,	520,	520) \
	X(OBMALLOC_MGMT_NARENAS,		-1,	-1,	-1,	-1,	1064,	1064) \
	X(ARENA_OBJECT_SIZE,			48,	48,	48,	48,	48,	48) \
	X(ARENA_OBJECT_ADDRESS,			0,	0,	0,	0,	0,	0) \
	X(ARENA_OBJECT_POOL_ADDRESS,		8,	8,	8,	8,	8,	8) \
	X(ARENA_OBJECT_NFREEPOOLS,		16,	16,	16,	16,	16,	16) \
	X(POOL_HEADER_COUNT,			0,	0,	0,	0,	0,	0) \
	X(POOL_HEADER_ARENAINDEX,		32,	32,	32,	32,	32,	32) \
	X(POOL_HEADER_SZIDX,			36,	36,	36,	36,	36,	36) \
	X(POOL_OVERHEAD,			48,	48,	48,	48,	48,	48) \
	X(ARENA_SIZE,				262144,	262144,	1048576, 1048576, 1048576, 1048576) \
	X(POOL_SIZE,				4096,	4096,	16384,	16384,	16384,	16384) \
	X(OBMALLOC_ALIGNMENT_SHIFT,		4,	4,	4,	4,	4,	4)

/* Every key has exactly one row, in the order of PM_LAYOUT_KEYS. */
#define ROW_POS(k, a, b, c, d, e, f)	ROW_##k,
enum { PM_LAYOUT_ROWS(ROW_POS) ROW_COUNT };
#undef ROW_POS
#define ROW_CHECK(k) \
	_Static_assert((int)ROW_##k == (int)PM_L_##k, "row " #k " out of order");
PM_LAYOUT_KEYS(ROW_CHECK)
#undef ROW_CHECK
_Static_assert((int)ROW_COUNT == (int)PM_L_COUNT, "a row for every key");

#define COL8(k, a, b, c, d, e, f)	[PM_L_##k] = (a),
#define COL9(k, a, b, c, d, e, f)	[PM_L_##k] = (b),
#define COL10(k, a, b, c, d, e, f)	[PM_L_##k] = (c),
#define COL11(k, a, b, c, d, e, f)	[PM_L_##k] = (d),
#define COL12(k, a, b, c, d, e, f)	[PM_L_##k] = (e),
#define COL13(k, a, b, c, d, e, f)	[PM_L_##k] = (f),

static const struct pm_layout layouts[] = {
	{ 8, { PM_LAYOUT_ROWS(COL8) } },
	{ 9, { PM_LAYOUT_ROWS(COL9) } },
	{ 10, { PM_LAYOUT_ROWS(COL10) } },
	{ 11, { PM_LAYOUT_ROWS(COL11) } },
	{ 12, { PM_LAYOUT_ROWS(COL12) } },
	{ 13, { PM_LAYOUT_ROWS(COL13) } },
};

static const char *const key_names[] = {
#define KEY_NAME(k) #k,
	PM_LAYOUT_KEYS(KEY_NAME)
#undef KEY_NAME
};

const struct pm_layout *
pm_layout_get(int minor)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

const char *
pm_layout_key_name(enum pm_layout_key k)
{
	if ((int)k < 0 || (int)k >= PM_L_COUNT)
		return NULL;
	return key_names[k];
}

int
pm_layout_key_find(const char *name)
{
	for (int k = 0; k < PM_L_COUNT; k++)
		if (strcmp(key_names[k], name) == 0)
			return k;
	return -1;
}
