// sitewarden zone editor: forms generated from the site file's JSON Schema
// (SiteConfig.model_json_schema()), so that a new rule parameter appears without UI code.
//
//   SchemaForm.render(container, {root, def, value, omit, errors, onChange, kinds})
//
// `value` is the object as the site file has it: a field left empty is removed (its default
// applies; the default shows as the placeholder), so saving writes only what was set.
// Each field is a <div class="sf-field" data-field="filters.min_score"> with the key, the
// schema's description as help, and room for the server's error about it.
(function () {
  "use strict";

  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { e.textContent = v; } else { e.setAttribute(k, v === true ? "" : v); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }

  function resolve(root, s) {
    var seen = 0;
    while (s && s.$ref && seen++ < 20) {
      s = root.$defs[s.$ref.split("/").pop()];
    }
    return s || {};
  }

  // {schema, optional}: the non-null member of `X | None`
  function unwrap(root, s) {
    s = resolve(root, s);
    if (s.anyOf) {
      var inner = s.anyOf.filter(function (x) { return x.type !== "null"; });
      if (inner.length === 1) {
        var merged = Object.assign({}, resolve(root, inner[0]));
        ["description", "default", "title"].forEach(function (k) {
          if (s[k] !== undefined && merged[k] === undefined) { merged[k] = s[k]; }
        });
        return { schema: merged, optional: true };
      }
    }
    return { schema: s, optional: false };
  }

  function shown(v) { return v === null || v === undefined ? "" : String(v); }

  function numberInput(s, value, name, onValue) {
    var attrs = { type: "number", step: s.type === "integer" ? "1" : "any", name: name,
                  value: shown(value), placeholder: shown(s["default"]), inputmode: "decimal" };
    if (s.minimum !== undefined) { attrs.min = s.minimum; }
    if (s.exclusiveMinimum !== undefined) { attrs.min = s.exclusiveMinimum; }
    if (s.maximum !== undefined) { attrs.max = s.maximum; }
    var input = h("input", attrs);
    input.addEventListener("change", function () {
      var t = input.value.trim();
      onValue(t === "" ? undefined : (s.type === "integer" ? parseInt(t, 10) : parseFloat(t)));
    });
    return input;
  }

  function enumInput(options, value, def, name, onValue) {
    var sel = h("select", { name: name });
    sel.appendChild(h("option", { value: "", text: def !== undefined ? "(" + def + ")" : "" }));
    options.forEach(function (o) {
      sel.appendChild(h("option", { value: o, text: o, selected: value === o }));
    });
    sel.addEventListener("change", function () { onValue(sel.value === "" ? undefined : sel.value); });
    return sel;
  }

  function Form(root, errors, onChange, kinds) {
    this.root = root; this.errors = errors || {}; this.onChange = onChange; this.kinds = kinds;
  }

  // One property of `obj` (`path` names it for errors and tests).
  Form.prototype.field = function (obj, key, prop, path, changed) {
    var u = unwrap(this.root, prop), s = u.schema, value = obj[key];
    var set = function (v) {
      if (v === undefined || v === "") { delete obj[key]; } else { obj[key] = v; }
      changed();
    };
    var input = this.input(obj, key, s, u.optional, path, value, set, changed);
    var help = s.description || prop.description;
    var err = this.errors[path];
    var box = h("div", { "class": "sf-field" + (err ? " has-error" : ""), "data-field": path }, [
      h("label", { "class": "sf-key", text: key }), input,
      help ? h("small", { "class": "sf-help", text: help }) : null,
      err ? h("p", { "class": "field-error", role: "alert", text: err }) : null]);
    return box;
  };

  Form.prototype.input = function (obj, key, s, optional, path, value, set, changed) {
    if (key === "kind" && this.kinds) {
      var k = enumInput(this.kinds, value, undefined, path, set);
      k.removeChild(k.firstChild);
      return k;
    }
    if (s.enum) { return enumInput(s.enum, value, s["default"], path, set); }
    if (s.type === "integer" || s.type === "number") { return numberInput(s, value, path, set); }
    if (s.type === "boolean") {
      var cb = h("input", { type: "checkbox", name: path,
                            checked: value === undefined ? !!s["default"] : !!value });
      cb.addEventListener("change", function () { set(cb.checked); });
      return cb;
    }
    if (s.type === "object" && s.properties) {
      var inner = obj[key] && typeof obj[key] === "object" ? obj[key] : {};
      return this.object(s, inner, path, function () {
        if (Object.keys(inner).length) { obj[key] = inner; } else { delete obj[key]; }
        changed();
      });
    }
    if (s.type === "array") { return this.array(obj, key, s, path, set, changed); }
    var text = h("input", { type: "text", name: path, value: shown(value),
                            placeholder: shown(s["default"]), pattern: s.pattern || null });
    text.addEventListener("change", function () { set(text.value.trim() || undefined); });
    return text;
  };

  Form.prototype.object = function (s, obj, path, changed) {
    var fs = h("fieldset", { "class": "sf-object" });
    Object.keys(s.properties).forEach(function (k) {
      fs.appendChild(this.field(obj, k, s.properties[k], path + "." + k, changed));
    }, this);
    return fs;
  };

  Form.prototype.array = function (obj, key, s, path, set, changed) {
    var items = resolve(this.root, s.items || {});
    var value = Array.isArray(obj[key]) ? obj[key] : [];
    if (s.prefixItems) {  // a fixed tuple: [min, max]
      var row = h("div", { "class": "sf-tuple" });
      var parts = s.prefixItems.map(function (p, i) {
        var inp = numberInput(p, value[i], path + "." + i, function () {});
        row.appendChild(inp);
        return inp;
      });
      parts.forEach(function (inp) {
        inp.addEventListener("change", function () {
          var vals = parts.map(function (x) { return x.value.trim(); });
          if (vals.every(function (v) { return v === ""; })) { set(undefined); return; }
          set(vals.map(function (v) { return v === "" ? null : parseFloat(v); }));
        });
      });
      return row;
    }
    if (items.enum) {  // a set of choices: checkboxes (days of the week)
      var group = h("div", { "class": "sf-choices" });
      items.enum.forEach(function (o) {
        var cb = h("input", { type: "checkbox", value: o,
                              checked: (value.length ? value : (s["default"] || items.enum)).indexOf(o) >= 0 });
        cb.addEventListener("change", function () {
          var on = Array.prototype.filter.call(group.querySelectorAll("input"), function (c) { return c.checked; })
            .map(function (c) { return c.value; });
          set(on.length === items.enum.length ? undefined : on);
        });
        group.appendChild(h("label", { "class": "sf-choice" }, [cb, document.createTextNode(" " + o)]));
      });
      return group;
    }
    if (items.type === "object" && items.properties) { return this.list(obj, key, items, path, changed); }
    var ta = h("input", { type: "text", name: path, value: value.length ? JSON.stringify(value) : "" });
    ta.addEventListener("change", function () {
      try { set(ta.value.trim() ? JSON.parse(ta.value) : undefined); } catch (e) { ta.setCustomValidity("JSON"); }
    });
    return ta;
  };

  // A list of objects (schedule windows): each with its fields and a remove button.
  Form.prototype.list = function (obj, key, items, path, changed) {
    var box = h("div", { "class": "sf-list" }), self = this;
    var list = Array.isArray(obj[key]) ? obj[key] : [];
    var store = function () {
      if (list.length) { obj[key] = list; } else { delete obj[key]; }
      changed();
    };
    list.forEach(function (item, i) {
      var fs = self.object(items, item, path + "." + i, store);
      var rm = h("button", { type: "button", "class": "btn subtle sf-remove", text: "−" });
      rm.addEventListener("click", function () { list.splice(i, 1); store(); });
      fs.appendChild(rm);
      box.appendChild(fs);
    });
    var add = h("button", { type: "button", "class": "btn subtle sf-add", text: "+" });
    add.addEventListener("click", function () {
      var fresh = {};
      (items.required || []).forEach(function (k) {
        var p = resolve(self.root, items.properties[k]);
        fresh[k] = p.type === "string" ? (k === "end" ? "18:00" : "08:00") : p["default"];
      });
      list.push(fresh);
      store();
    });
    box.appendChild(add);
    return box;
  };

  window.SchemaForm = {
    // Fields of `def` (a $defs entry) for `value`, omitting `omit` keys.
    render: function (container, o) {
      var form = new Form(o.root, o.errors, o.onChange, o.kinds);
      container.textContent = "";
      var props = o.def.properties || {};
      var first = ["id", "kind", "label"];
      var keys = first.filter(function (k) { return props[k]; })
        .concat(Object.keys(props).filter(function (k) { return first.indexOf(k) < 0; }));
      keys.forEach(function (k) {
        if ((o.omit || []).indexOf(k) >= 0) { return; }
        container.appendChild(form.field(o.value, k, props[k], k, function () { o.onChange(o.value, k); }));
      });
    },
    // The server's errors by field path, put in place without rebuilding the form (a
    // rebuild would take the focus from the field being typed in).
    showErrors: function (container, errors) {
      Array.prototype.forEach.call(container.querySelectorAll(".sf-field"), function (f) {
        var msg = errors[f.getAttribute("data-field")];
        var old = f.querySelector(":scope > .field-error");
        if (old) { f.removeChild(old); }
        f.classList.toggle("has-error", !!msg);
        if (msg) { f.appendChild(h("p", { "class": "field-error", role: "alert", text: msg })); }
      });
    },
    resolve: resolve
  };
})();
