"""IR builder rules for every statement that is not a message: actions, timers, resources,
states, create/delete, headings and remarks, media and mixing, groups and cases."""

from __future__ import annotations

from typing import Any, ClassVar

from callflow import ir
from callflow.fdl.build_common import (
    DURATION_RE,
    UNIT_MS,
    BuilderBase,
    attach_remarks,
    is_kind,
    remark_text,
    unquote,
    verbatim_lines,
)


class StatementRules(BuilderBase):
    """The rule methods of the statements other than messages."""

    # ------------------------------------------------------------ entity statements
    def _entities(self, children: list[Any]) -> tuple[ir.Name, list[ir.Name], list[Any]]:
        """The leading names of a statement (``A, B action``) and the children after them."""
        names: list[ir.Name] = []
        index = 0
        while index < len(children) and (
            is_kind(children[index], "IDENT") or is_kind(children[index], "STRING")
        ):
            names.append(self._name(children[index]))
            index += 1
        return names[0], names[1:], children[index:]

    def _text(self, token: Any) -> str:
        return unquote(str(token)) if is_kind(token, "STRING") else str(token)

    def _entity_box(self, cls: type, children: list[Any], field_name: str) -> Any:
        """Action-like statements: ``NAMES [keywords] text`` (the text is the last child)."""
        children, end = self._split_end(children)
        entity, others, rest = self._entities(children)
        text = rest[-1]
        return cls(
            entity=entity,
            others=tuple(others),
            loc=self.ctx.loc(children[0], text),
            **{field_name: self._text(text)},
            **end,
        )

    def action(self, children: list[Any]) -> ir.Action:
        return self._entity_box(ir.Action, children, "text")  # type: ignore[no-any-return]

    def begin_action(self, children: list[Any]) -> ir.BeginAction:
        return self._entity_box(ir.BeginAction, children, "text")  # type: ignore[no-any-return]

    def end_action(self, children: list[Any]) -> ir.EndAction:
        return self._entity_box(ir.EndAction, children, "text")  # type: ignore[no-any-return]

    def resource_allocate(self, children: list[Any]) -> ir.ResourceAllocate:
        return self._entity_box(ir.ResourceAllocate, children, "resource")  # type: ignore[no-any-return]

    def resource_free(self, children: list[Any]) -> ir.ResourceFree:
        return self._entity_box(ir.ResourceFree, children, "resource")  # type: ignore[no-any-return]

    def state_change(self, children: list[Any]) -> ir.StateChange:
        return self._entity_box(ir.StateChange, children, "state")  # type: ignore[no-any-return]

    def timer_start(self, children: list[Any]) -> ir.TimerStart:
        (entity, verb, periodic, _kw2, timer, duration), end = self._split_end(children)
        duration_ms: int | None = None
        duration_text: str | None = None
        if duration is not None:
            duration_text = str(duration)
            match = DURATION_RE.fullmatch(duration_text)
            if match:
                duration_ms = int(match.group(1)) * UNIT_MS[match.group(2)]
        owner = self._name(entity)
        timer_name = self._name(timer)
        self.ctx.timer_owners[timer_name.text] = owner
        return ir.TimerStart(
            entity=owner,
            timer=timer_name,
            duration_ms=duration_ms,
            duration_text=duration_text,
            periodic=periodic is not None,
            restart=is_kind(verb, "KW_RESTARTS"),
            loc=self.ctx.loc(entity, duration or timer),
            **end,
        )

    def timer_stop(self, children: list[Any]) -> ir.TimerStop:
        (entity, _kw, _kw2, timer), end = self._split_end(children)
        return ir.TimerStop(
            entity=self._name(entity),
            timer=self._name(timer),
            loc=self.ctx.loc(entity, timer),
            **end,
        )

    def timer_timeout(self, children: list[Any]) -> ir.TimerTimeout:
        """``timeout T : A``, or EventStudio's ``timeout T``: the entity that started T."""
        (keyword, timer, entity), end = self._split_end(children)
        timer_name = self._name(timer)
        loc = self.ctx.loc(keyword, entity or timer)
        if entity is not None:
            owner = self._name(entity)
        elif timer_name.text in self.ctx.timer_owners:
            started = self.ctx.timer_owners[timer_name.text]
            owner = ir.Name(started.text, self.ctx.loc(timer))
        else:
            self.ctx.error(
                "FDL312",
                "semantic.timeout-owner",
                loc,
                f"'timeout {timer_name.text}' names no entity and no statement before it "
                f"starts {timer_name.text}: write 'timeout {timer_name.text} : ENTITY'",
            )
            owner = ir.Name(timer_name.text, self.ctx.loc(timer))
        return ir.TimerTimeout(entity=owner, timer=timer_name, loc=loc, **end)

    def create(self, children: list[Any]) -> ir.Create:
        """``A creates B(params)``, or ``create B`` with no creator (B creates itself)."""
        children, end = self._split_end(children)
        if is_kind(children[0], "KW_CREATE"):
            keyword, created, params = children
            name = self._name(created)
            return ir.Create(
                creator=name,
                created=name,
                params=params or (),
                loc=self.ctx.loc(keyword, created),
                **end,
            )
        creator, _kw, created, params = children
        return ir.Create(
            creator=self._name(creator),
            created=self._name(created),
            params=params or (),
            loc=self.ctx.loc(creator, created),
            **end,
        )

    def delete(self, children: list[Any]) -> ir.Delete:
        """``A deletes B``, ``A deletes self``, or ``delete B`` with no deleter."""
        children, end = self._split_end(children)
        if is_kind(children[0], "KW_DELETE"):
            keyword, deleted = children
            name = self._name(deleted)
            return ir.Delete(deleter=name, deleted=name, loc=self.ctx.loc(keyword, deleted), **end)
        deleter, _kw, deleted = children
        deleter_name = self._name(deleter)
        deleted_name = deleter_name if str(deleted) == "self" else self._name(deleted)
        return ir.Delete(
            deleter=deleter_name,
            deleted=deleted_name,
            loc=self.ctx.loc(deleter, deleted),
            **end,
        )

    # ------------------------------------------------------------ document statements
    def heading(self, children: list[Any]) -> ir.Heading:
        (keyword, text), end = self._split_end(children)
        return ir.Heading(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), **end)

    def remark(self, children: list[Any]) -> ir.Remark:
        (keyword, text), end = self._split_end(children)
        return ir.Remark(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), **end)

    def block_remark(self, children: list[Any]) -> ir.BlockRemark:
        (token,) = children
        text = str(token)
        return ir.BlockRemark(
            text=remark_text(text), lines=verbatim_lines(text[2:-2]), loc=self.ctx.loc(token)
        )

    def pause(self, children: list[Any]) -> ir.Pause:
        (token,), end = self._split_end(children)
        return ir.Pause(loc=self.ctx.loc(token), **end)

    def media_start(self, children: list[Any]) -> ir.MediaStart:
        (keyword, a, _arrow, b, attrs), end = self._split_end(children)
        return ir.MediaStart(
            a=self._name(a),
            b=self._name(b),
            attributes=attrs or (),
            loc=self.ctx.loc(keyword, b),
            **end,
        )

    def media_stop(self, children: list[Any]) -> ir.MediaStop:
        (keyword, _stop, a, _arrow, b), end = self._split_end(children)
        return ir.MediaStop(a=self._name(a), b=self._name(b), loc=self.ctx.loc(keyword, b), **end)

    def mix(self, children: list[Any]) -> ir.Mix:
        (mixer, _kw, *parties), end = self._split_end(children)
        return ir.Mix(
            mixer=self._name(mixer),
            parties=tuple(self._name(p) for p in parties),
            loc=self.ctx.loc(mixer, parties[-1]),
            **end,
        )

    def stop_mixing(self, children: list[Any]) -> ir.StopMixing:
        (mixer, _kw, last), end = self._split_end(children)
        return ir.StopMixing(mixer=self._name(mixer), loc=self.ctx.loc(mixer, last), **end)

    _GROUP_KINDS: ClassVar[dict[str, tuple[ir.GroupKind, str]]] = {
        "KW_PRECONDITIONS": ("preconditions", "Preconditions"),
        "KW_CHAIN": ("chain", "Chain"),
    }

    def sequence(self, children: list[Any]) -> ir.Sequence:
        """``sequence "name" { }``, ``loop "name" { }``, ``preconditions { }``, ``chain { }``."""
        children, end = self._split_end(children)
        keyword = children[0]
        if keyword.type in self._GROUP_KINDS:
            kind, name = self._GROUP_KINDS[keyword.type]
            last, body = keyword, children[1:]
        else:
            kind = "loop" if keyword.type == "KW_LOOP" else "sequence"
            last, body = children[1], children[2:]
            name = unquote(str(last))
        return ir.Sequence(
            name=name,
            body=attach_remarks(body),
            kind=kind,
            loc=self.ctx.loc(keyword, last),
            **end,
        )

    def case(self, children: list[Any]) -> ir.Case:
        (keyword, *legs), end = self._split_end(children)
        return ir.Case(legs=tuple(legs), loc=self.ctx.loc(keyword), **end)

    def leg(self, children: list[Any]) -> ir.Leg:
        keyword, label, *body = children
        return ir.Leg(unquote(str(label)), attach_remarks(body), self.ctx.loc(keyword, label))
