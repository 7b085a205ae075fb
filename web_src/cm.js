// CodeMirror 6 setup for the CoCo code editor: languages picked by content, a dark theme that
// fits ComfyUI, and error markers (gutter + line highlight + inline message) for one line.
import { EditorState, Compartment, StateEffect, StateField, RangeSet } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
  Decoration, WidgetType, gutter, GutterMarker, placeholder as cmPlaceholder,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab, undo, redo } from "@codemirror/commands";
import {
  indentOnInput, bracketMatching, syntaxHighlighting, HighlightStyle, indentUnit,
} from "@codemirror/language";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { tags as t } from "@lezer/highlight";
import { python } from "@codemirror/lang-python";
import { xml } from "@codemirror/lang-xml";

/** "svg" when the text looks like an SVG/XML document, else "python". */
export function detectLanguage(text) {
  const head = (text || "").replace(/^\uFEFF/, "").trimStart().slice(0, 400);
  if (/^(<\?xml|<!--|<!DOCTYPE\s+svg|<svg[\s>])/i.test(head)) return "svg";
  return "python";
}

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: "#c792ea" },
  { tag: [t.controlKeyword, t.moduleKeyword], color: "#c792ea", fontWeight: "bold" },
  { tag: [t.string, t.special(t.string)], color: "#c3e88d" },
  { tag: [t.number, t.bool, t.null], color: "#f78c6c" },
  { tag: t.comment, color: "#7f8c98", fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "#82aaff" },
  { tag: t.definition(t.variableName), color: "#eeffff" },
  { tag: [t.className, t.typeName], color: "#ffcb6b" },
  { tag: t.operator, color: "#89ddff" },
  { tag: t.propertyName, color: "#b2ccd6" },
  { tag: t.self, color: "#f07178" },
  { tag: t.tagName, color: "#f07178" },
  { tag: t.attributeName, color: "#ffcb6b" },
  { tag: t.attributeValue, color: "#c3e88d" },
  { tag: [t.angleBracket, t.punctuation], color: "#89ddff" },
  { tag: t.invalid, color: "#ff5370" },
]);

const theme = EditorView.theme({
  "&": { color: "#e0e0e0", backgroundColor: "#1e1e1e", fontSize: "12px", height: "100%" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.45" },
  ".cm-content": { caretColor: "#ffcc00" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "#ffcc00" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "#3a4a6a" },
  ".cm-gutters": { backgroundColor: "#1a1a1a", color: "#777", border: "none" },
  ".cm-activeLine": { backgroundColor: "#ffffff0a" },
  ".cm-activeLineGutter": { backgroundColor: "#ffffff10" },
  ".cm-coco-error-line": { backgroundColor: "#ff30302e" },
  ".cm-coco-error-gutter": { width: "14px" },
  ".cm-coco-error-mark": { color: "#ff5050", fontWeight: "bold", cursor: "default" },
  ".cm-coco-error-msg": {
    color: "#ff9090", backgroundColor: "#3a1c1c", padding: "1px 6px", fontSize: "11px",
    fontFamily: "ui-monospace, monospace", whiteSpace: "pre-wrap",
  },
}, { dark: true });

// ---- error marker ---------------------------------------------------------------------------

/** setError.of({line, message}) marks one line (1-based); setError.of(null) clears. */
export const setError = StateEffect.define();

class ErrorMarker extends GutterMarker {
  constructor(message) { super(); this.message = message; }
  eq(o) { return o.message === this.message; }
  toDOM() {
    const el = document.createElement("span");
    el.className = "cm-coco-error-mark";
    el.textContent = "●";
    el.title = this.message || "error";
    return el;
  }
}

class SpacerMarker extends GutterMarker {
  toDOM() {
    const el = document.createElement("span");
    el.textContent = "●";
    return el;
  }
}

class ErrorMessageWidget extends WidgetType {
  constructor(message) { super(); this.message = message; }
  eq(o) { return o.message === this.message; }
  toDOM() {
    const el = document.createElement("div");
    el.className = "cm-coco-error-msg";
    el.textContent = this.message;
    return el;
  }
  ignoreEvent() { return false; }
}

// Value: null or {pos (start of the marked line, mapped through edits), message}.
const errorField = StateField.define({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) {
      if (e.is(setError)) {
        const v = e.value;
        if (!v || !v.line || v.line < 1 || v.line > tr.state.doc.lines) return null;
        return { pos: tr.state.doc.line(v.line).from, message: v.message || "" };
      }
    }
    if (value && tr.docChanged) {
      const pos = tr.changes.mapPos(value.pos, -1);
      return { pos: tr.state.doc.lineAt(pos).from, message: value.message };
    }
    return value;
  },
  provide: (f) => EditorView.decorations.from(f, (v) => {
    if (!v) return Decoration.none;
    return Decoration.set([Decoration.line({ class: "cm-coco-error-line" }).range(v.pos)]);
  }),
});

// The message under the line is a block widget, which must come from a state field.
const errorMessageField = StateField.define({
  create: () => Decoration.none,
  update(_deco, tr) {
    const v = tr.state.field(errorField);
    if (!v || !v.message) return Decoration.none;
    const line = tr.state.doc.lineAt(v.pos);
    return Decoration.set([Decoration.widget({ widget: new ErrorMessageWidget(v.message), block: true, side: 1 })
      .range(line.to)]);
  },
  provide: (f) => EditorView.decorations.from(f),
});

const errorGutter = gutter({
  class: "cm-coco-error-gutter",
  markers(view) {
    const v = view.state.field(errorField);
    if (!v) return RangeSet.empty;
    return RangeSet.of([new ErrorMarker(v.message).range(v.pos)]);
  },
  initialSpacer: () => new SpacerMarker(),
});

/** The marked line (1-based) or 0. */
export function errorLine(view) {
  const v = view.state.field(errorField);
  return v ? view.state.doc.lineAt(v.pos).number : 0;
}

// ---- editor ---------------------------------------------------------------------------------

/**
 * Create the editor in `parent`. `onChange(text)` is called after user edits (not after setText).
 * Returns {view, setText, getText, setError(line, message), language()}.
 */
export function createEditor(parent, { doc = "", onChange, placeholder = "" } = {}) {
  const lang = new Compartment();
  let current = detectLanguage(doc);
  const langExt = (l) => (l === "svg" ? xml() : python());
  let silent = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        errorGutter,
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        syntaxHighlighting(highlight),
        theme,
        errorField,
        errorMessageField,
        cmPlaceholder(placeholder),
        lang.of(langExt(current)),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          const text = u.state.doc.toString();
          const l = detectLanguage(text);
          if (l !== current) {
            current = l;
            queueMicrotask(() => view.dispatch({ effects: lang.reconfigure(langExt(l)) }));
          }
          if (!silent && onChange) onChange(text);
        }),
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text) {
      text = text ?? "";
      if (text === view.state.doc.toString()) return;
      silent = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      } finally {
        silent = false;
      }
    },
    setError(line, message) {
      view.dispatch({ effects: setError.of(line ? { line, message } : null) });
    },
    errorLine: () => errorLine(view),
    language: () => current,
    undo: () => undo(view),
    redo: () => redo(view),
  };
}
