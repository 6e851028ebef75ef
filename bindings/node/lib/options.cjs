'use strict';
// Match options, set by name through lm_opts_set(); names, types, bounds,
// defaults and choices come from the library's option registry at run time.

const { C, cstr, describe } = require('./native.cjs');
const { makeError } = require('./errors.cjs');

// LM_OPT_TYPE_* of libmatch.h, as names.
const TYPE_NAMES = { 1: 'int', 2: 'double', 3: 'string', 4: 'list' };

let registry = null;

/** The option registry: a frozen array of frozen descriptions. */
function describeOptions() {
  if (registry) return registry;
  const list = [];
  const n = C.lm_opt_count();
  for (let i = 0; i < n; i++) {
    const key = C.lm_opt_key(i);
    const type = TYPE_NAMES[C.lm_opt_type(key)] || 'unknown';
    const def = [0], min = [0], max = [0];
    C.lm_opt_bounds(key, def, min, max);
    const choices = C.lm_opt_choices(key);
    const d = { name: C.lm_opt_name(key), key, type, help: C.lm_opt_help(key) || '' };
    if (type === 'string' || type === 'list') {
      d.maxBytes = max[0];
    } else {
      d.default = def[0];
      d.min = min[0];
      d.max = max[0];
    }
    if (choices) d.choices = Object.freeze(choices.split('|'));
    list.push(Object.freeze(d));
  }
  registry = Object.freeze(list);
  return registry;
}

let byName = null;
function option(name) {
  if (!byName) byName = new Map(describeOptions().map((d) => [d.name, d]));
  return byName.get(name);
}

function text(value, name) {
  // C decimal notation: String(0.5) is "0.5", String(1e21) is "1e+21";
  // NaN and Infinity reach the library, which names them in its error.
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  throw new TypeError(`option '${name}': expected a number or a string, got ${describe(value)}`);
}

/**
 * A new lm_opts handle holding `options` ({name: value}); the caller frees
 * it with lm_opts_free().  Values: numbers, numeric strings, choice names
 * ("rrf"), strings, arrays of strings for list options; null clears a
 * string or list option; undefined is skipped.  A value the library refuses
 * throws the error of its status code with lm_opts_errmsg()'s message.
 */
function makeOpts(options) {
  if (options != null && (typeof options !== 'object' ||
      ![Object.prototype, null].includes(Object.getPrototypeOf(options)))) {
    throw new TypeError(`options: expected an object, got ${describe(options)}`);
  }
  const out = [null];
  const rc = C.lm_opts_new(out);
  if (rc !== 0) throw makeError(rc, 'lm_opts_new failed');
  const o = out[0];
  try {
    if (options) {
      for (const [name, value] of Object.entries(options)) {
        if (value === undefined) continue;
        set(o, name, value);
      }
    }
  } catch (e) {
    C.lm_opts_free(o);
    throw e;
  }
  return o;
}

function set(o, name, value) {
  const cname = cstr(name, 'option name');
  const call = (v) => {
    const rc = C.lm_opts_set(o, cname, v === null ? null : cstr(v, `option '${name}'`));
    if (rc !== 0) throw makeError(rc, C.lm_opts_errmsg(o), { option: name });
  };
  const d = option(name);
  if (d && d.type === 'list') {
    call(null);                                   // replace, not append
    if (value === null) return;
    const values = typeof value === 'string' ? [value] : value;
    if (!values || typeof values[Symbol.iterator] !== 'function') {
      throw new TypeError(`option '${name}': expected a string or an array of strings, got ${describe(value)}`);
    }
    for (const v of values) {
      if (typeof v !== 'string') {
        throw new TypeError(`option '${name}': expected strings, got ${describe(v)}`);
      }
      call(v);
    }
    return;
  }
  if (Array.isArray(value)) {
    throw new TypeError(`option '${name}': takes one value, got an array`);
  }
  // Unknown names go to the library too, which says so (LM_ENOTFOUND).
  call(value === null ? null : text(value, name));
}

module.exports = { describeOptions, makeOpts };
