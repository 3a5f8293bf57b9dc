"""Build the IR while Lark parses: an inline transformer, called bottom-up per rule.

Lark's LALR parser calls these methods as it reduces, so no parse tree is ever built.
Locations come from tokens (never from ``propagate_positions``, which costs ~40 %),
mapped back through the preprocessor's line origins to the file the user wrote. The
transformer is assembled from rule groups (``build_messages``, ``build_statements``);
this module holds the file level: declarations, styles, features and file-level cases.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from callflow import ir
from callflow.fdl.build_common import (
    KEYWORDS,
    REMARK_TOKENS,
    BuildContext,
    LooseRemark,
    Several,
    amend,
    attach_remarks,
    is_kind,
    remark_text,
    unquote,
    verbatim_lines,
)
from callflow.fdl.build_messages import MessageRules
from callflow.fdl.build_statements import StatementRules

__all__ = [
    "KEYWORDS",
    "REMARK_TOKENS",
    "BuildContext",
    "IRBuilder",
    "LooseRemark",
    "Several",
    "attach_remarks",
    "remark_text",
    "unquote",
    "verbatim_lines",
]


class IRBuilder(MessageRules, StatementRules):
    """Turns each reduced rule into IR nodes. ``ctx`` is set before every parse."""

    # ------------------------------------------------------------ file level
    def start(self, children: list[Any]) -> list[Any]:
        return children

    def title(self, children: list[Any]) -> tuple[str, str, ir.SourceLocation]:
        keyword, string = children
        return ("title", unquote(str(string)), self.ctx.loc(keyword, string))

    def option(self, children: list[Any]) -> ir.Option:
        keyword, name, value = children
        text, _ = self._value(value)
        return ir.Option(str(name), text, self.ctx.loc(keyword, value))

    def option_value(self, children: list[Any]) -> Any:
        return children[0]

    def decl_kind(self, children: list[Any]) -> Any:
        return children[0]

    def style_prefix(self, children: list[Any]) -> tuple[str, str, Any]:
        (name,) = children
        return ("style", str(name), name)

    def decl_item(self, children: list[Any]) -> tuple[Any, ...]:
        style, name, label, type_name, _in, parent, attrs = children
        return ("item", style, name, label, type_name, parent, attrs, ())

    def shared_axis(self, children: list[Any]) -> tuple[Any, ...]:
        style, first, *rest = children
        *others, _in, parent, attrs = rest
        return ("item", style, first, None, None, parent, attrs, tuple(others))

    def separator(self, children: list[Any]) -> tuple[Any, ...]:
        style, keyword, _in, parent = children
        return ("separator", style, keyword, parent)

    def declaration(self, children: list[Any]) -> list[Any]:
        children, end = self._split_end(children)
        remark = end["remark"]
        line_style, kind_tok, *items = children
        kind = str(kind_tok)
        if kind == "processor":  # classic FDL: processors are the objects with lifelines
            kind = "eternal"
        level = kind
        nodes: list[Any] = []
        for item in items:
            if item[0] == "separator":
                _, style, keyword, parent_tok = item
                parent = self._name(parent_tok).text if parent_tok is not None else None
                style_name = (style or line_style or (None, None))[1]
                nodes.append(ir.Separator(0, parent, self.ctx.loc(keyword, parent_tok), style_name))
                continue
            _, style, name_tok, label_tok, type_tok, parent_tok, attrs, sharing = item
            style_name = (style or line_style or (None, None))[1]
            attributes = attrs if attrs is not None else ()
            parent = self._name(parent_tok).text if parent_tok is not None else None
            for index, tok in enumerate((name_tok, *sharing)):
                name = self._name(tok)
                label = unquote(str(label_tok)) if label_tok is not None else name.text
                last = parent_tok or type_tok or label_tok or tok
                loc = self.ctx.loc(tok, last if index == 0 else tok)
                if kind in ("eternal", "dynamic"):
                    nodes.append(
                        ir.Entity(
                            name.text,
                            label,
                            parent,
                            kind,  # type: ignore[arg-type]
                            attributes,
                            loc,
                            type_name=self._name(type_tok).text if type_tok is not None else None,
                            style=style_name,
                            axis=self._name(name_tok).text if index else None,
                            remark=remark,
                        )
                    )
                else:
                    if type_tok is not None:
                        self.ctx.warning(
                            "FDL310",
                            "semantic.unsupported",
                            self.ctx.loc(type_tok),
                            f"a type belongs to an object (eternal or dynamic), not a {kind}: "
                            "callflow ignores it",
                        )
                    nodes.append(
                        ir.Group(
                            level,  # type: ignore[arg-type]
                            name.text,
                            label,
                            parent,
                            loc,
                            attributes,
                            style=style_name,
                        )
                    )
        return nodes

    def style_def(self, children: list[Any]) -> ir.StyleDef:
        children, _end = self._split_end(children)
        keyword, name, *attrs = children
        kind = "theme" if str(keyword) == "theme" else "style"
        return ir.StyleDef(kind, self._name(name).text, tuple(attrs), self.ctx.loc(keyword, name))

    def style_attr(self, children: list[Any]) -> ir.Attribute:
        key, value = children
        text, _ = self._value(value)
        return ir.Attribute(str(key), text, self.ctx.loc(key, value))

    def attributes(self, children: list[Any]) -> tuple[ir.Attribute, ...]:
        return tuple(children)

    def attribute(self, children: list[Any]) -> ir.Attribute:
        key, value = children
        text, _ = self._value(value)
        return ir.Attribute(str(key), text, self.ctx.loc(key, value))

    def intro_remark(self, children: list[Any]) -> ir.Remark:
        keyword, string = children
        return ir.Remark(text=unquote(str(string)), loc=self.ctx.loc(keyword, string))

    def theme_prefix(self, children: list[Any]) -> str:
        return str(children[0])

    def feature(self, children: list[Any]) -> ir.Feature:
        children, _end = self._split_end(children)
        theme, keyword, name, *body = children
        if body and is_kind(body[-1], "KW_ENDFEATURE"):
            body.pop()
        return ir.Feature(
            unquote(str(name)), attach_remarks(body), self.ctx.loc(keyword, name), theme=theme
        )

    def file_case(self, children: list[Any]) -> ir.FileCase:
        keyword, *legs = children
        return ir.FileCase(tuple(legs), self.ctx.loc(keyword))

    def file_leg(self, children: list[Any]) -> ir.FileLeg:
        keyword, label, *items = children
        body: list[ir.Feature | ir.FileCase] = []
        for item in items:
            if not isinstance(item, LooseRemark):
                body.append(item)
            elif body and isinstance(body[-1], ir.Feature):  # as between top-level features
                feature = body[-1]
                body[-1] = dataclasses.replace(feature, body=attach_remarks([*feature.body, item]))
            else:
                self.ctx.warning(
                    "FDL310",
                    "semantic.unsupported",
                    item.loc,
                    "a remark here belongs to no statement: callflow does not draw it "
                    "(move it into a feature)",
                )
        return ir.FileLeg(unquote(str(label)), tuple(body), self.ctx.loc(keyword, label))

    def loose_remark(self, children: list[Any]) -> LooseRemark:
        text = " ".join(remark_text(str(t)) for t in children)
        return LooseRemark(text, self.ctx.loc(children[0], children[-1]))

    def decorated(self, children: list[Any]) -> Any:
        """``[_style]`` and ``<link>`` in front of a statement (a cascade: each message)."""
        *decorations, statement = children
        changes: dict[str, str] = {}
        for item in decorations:
            if isinstance(item, tuple):
                changes["style"] = item[1]
            else:
                changes["link"] = str(item)[1:-1]
        if isinstance(statement, LooseRemark):
            return statement
        for built in statement.statements if isinstance(statement, Several) else (statement,):
            amend(built, **changes)
        return statement
