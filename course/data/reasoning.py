"""Data of module 4 (cognitive reasoning): logic terms, kinship bases, bAbI-style stories, trees.

Used by lecture 04_reasoning and problem set ps4_reasoning.  Four kinds of data:

* **Terms, atoms and Horn rules.**  A *variable* is a string that starts with
  ``"?"`` (``"?x"``), a *constant* any other string, an *atom* (and a compound
  term) a tuple ``(functor, arg, ...)`` such as ``("parent", "ann", "bob")``.
  :class:`Rule` is a Horn rule ``head :- body``; :func:`parse_rule` and
  :func:`format_rule` read and write them as text, :func:`check_rule`
  rejects rules whose head has a variable the body does not bind.
  :class:`FactIndex` stores ground facts with an index per argument, so a join
  looks up only the facts that can match; :class:`Proof` is a node of a proof tree.
* **Kinship knowledge bases** (:func:`generate_kinship`): people, ``parent``,
  ``male`` and ``female`` facts, the Horn rules of :data:`KINSHIP_RULES`, and
  questions whose answers are computed from the family tree itself (not by
  a reasoner), so they are an independent ground truth.
* **bAbI-style stories** (:func:`generate_babi`) for six of the 20 bAbI tasks,
  written and read in the official bAbI text format (:func:`write_babi`,
  :func:`read_babi`), so the published files can be read by the same loader
  (:func:`load_babi_task` with ``folder=``); :data:`BABI_ENTITIES` lists the
  names that can be exchanged without changing a story's meaning.
* **Tree-structured models** of discrete variables (:class:`TreeModel`):
  random trees, and latent trees in the shape of module 1's (a latent root,
  latent topics, observed words) from :func:`latent_word_tree`.

Everything is generated offline and is deterministic given its ``seed``.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from course.data.sources import DataUnavailable, cache_dir

__all__ = [
    # terms, atoms, rules and facts
    "BUILTINS",
    "FactIndex",
    "Proof",
    "Rule",
    "check_rule",
    "format_atom",
    "format_rule",
    "is_ground",
    "is_variable",
    "order_body",
    "parse_atom",
    "parse_rule",
    "substitute",
    "variables_in",
    # kinship
    "KINSHIP_RULES",
    "KinshipKB",
    "KinshipQuestion",
    "generate_kinship",
    # bAbI
    "BABI_ENTITIES",
    "BABI_TASKS",
    "BabiExample",
    "BabiLine",
    "babi_examples",
    "generate_babi",
    "load_babi_task",
    "parse_babi",
    "read_babi",
    "write_babi",
    # tree models
    "TreeModel",
    "latent_word_tree",
    "random_tree_model",
    "sample_tree_model",
]


# =====================================================================================
# Terms, atoms and rules
# =====================================================================================

def is_variable(term: Any) -> bool:
    """True for a logic variable: a string that starts with ``"?"``, such as ``"?x"``."""
    return isinstance(term, str) and len(term) > 1 and term[0] == "?"


def variables_in(term: Any) -> list[str]:
    """The variables of a term, atom or :class:`Rule`, each once, in order of appearance."""
    found: dict[str, None] = {}

    def walk(t: Any) -> None:
        if isinstance(t, Rule):
            walk(t.head)
            for atom in t.body:
                walk(atom)
        elif is_variable(t):
            found.setdefault(t, None)
        elif isinstance(t, tuple):
            for part in t:
                walk(part)

    walk(term)
    return list(found)


def is_ground(term: Any) -> bool:
    """True when a term or atom contains no variable."""
    if is_variable(term):
        return False
    if isinstance(term, tuple):
        return all(is_ground(part) for part in term)
    return True


def substitute(term: Any, subst: dict[str, Any]) -> Any:
    """``term`` with every bound variable replaced by its value, following chains.

    ``subst`` maps variables to terms, possibly to other variables
    (``{"?x": "?y", "?y": "ann"}`` makes ``"?x"`` into ``"ann"``).  Used by
    problem set 4 (unification, chaining) and lecture 04_reasoning.  A
    substitution that binds a variable to a term containing itself has no
    finite result; that raises ``ValueError`` (unification with an occurs
    check never builds one).
    """
    def walk(t: Any, seen: tuple[str, ...]) -> Any:
        if is_variable(t):
            if t not in subst:
                return t
            if t in seen:
                raise ValueError(f"the substitution is cyclic at {t} (binds {t} to a term "
                                 f"that contains {t}); an occurs check prevents this")
            return walk(subst[t], (*seen, t))
        if isinstance(t, tuple):
            return tuple(walk(part, seen) for part in t)
        return t

    return walk(term, ())


class Rule(NamedTuple):
    """A Horn rule ``head :- body[0], body[1], ...``: the head holds when every body atom does.

    ``head`` is an atom, ``body`` a tuple of atoms (empty for a fact with
    variables, which :func:`check_rule` rejects).  Build one with
    :func:`parse_rule` or directly: ``Rule(("grandparent", "?x", "?z"),
    (("parent", "?x", "?y"), ("parent", "?y", "?z")))``.
    """

    head: tuple
    body: tuple

    def __str__(self) -> str:
        return format_rule(self)


class Proof(NamedTuple):
    """A node of a proof tree.

    ``conclusion`` is a ground atom; ``rule`` is the :class:`Rule` (as written
    in the knowledge base, before renaming) whose head gave the conclusion,
    or ``None`` when the conclusion is a fact (or a built-in test such as
    ``neq``); ``premises`` are the proofs of the rule's body atoms, in body
    order.  Used by problem set 4 (backward chaining) and lecture 04_reasoning.
    """

    conclusion: tuple
    rule: Rule | None
    premises: tuple = ()


#: Built-in predicates: evaluated, never stored as facts.  ``neq(a, b)`` holds
#: when ``a`` and ``b`` are different constants; its arguments must be bound
#: by earlier atoms of the rule body.
BUILTINS = {"neq": lambda a, b: a != b}


def check_rule(rule: Rule) -> Rule:
    """Return ``rule`` if it is a safe Horn rule, else raise ``ValueError`` saying why.

    Safe (range-restricted) means: the body is not empty, every variable of
    the head occurs in a body atom (otherwise forward chaining would "derive"
    an atom with a variable in it, a fact about nobody in particular), and
    every variable of a built-in such as ``neq`` occurs in an earlier body
    atom that is not a built-in (so it is bound when the test runs).
    Used by problem set 4 (forward chaining) and by :func:`parse_rule`.
    """
    if not isinstance(rule, tuple) or len(rule) != 2:
        raise ValueError(f"a rule is Rule(head, body), got {rule!r}")
    head, body = rule
    for atom in (head, *body):
        if not isinstance(atom, tuple) or not atom or not isinstance(atom[0], str):
            raise ValueError(f"rule {rule!r}: {atom!r} is not an atom "
                             "(a tuple whose first item is the predicate name)")
    if not body:
        raise ValueError(f"rule {format_atom(head)} has an empty body; write a fact instead")
    if head[0] in BUILTINS:
        raise ValueError(f"rule {format_rule(rule)} defines the built-in {head[0]!r}")
    bound: set[str] = set()
    for atom in body:
        if atom[0] in BUILTINS:
            missing = [v for v in variables_in(atom) if v not in bound]
            if missing:
                raise ValueError(
                    f"rule {format_rule(rule)}: the built-in {format_atom(atom)} uses "
                    f"{', '.join(missing)} before any body atom binds it; move it to the end "
                    "of the body")
        else:
            bound.update(variables_in(atom))
    unbound = [v for v in variables_in(head) if v not in bound]
    if unbound:
        raise ValueError(
            f"rule {format_rule(rule)} is unsafe: head variable(s) {', '.join(unbound)} do not "
            "occur in the body, so the rule would derive atoms that still contain variables; "
            "add a body atom that binds them")
    return rule


def order_body(body: Sequence[tuple], bound: Iterable[str] = ()) -> list[tuple]:
    """The body atoms in a good order for a left-to-right join, given already bound variables.

    Used by problem set 4 (semi-naive forward chaining) and lecture
    04_reasoning.  A join is cheap when each atom it looks up has bound
    arguments (the :class:`FactIndex` then examines only the matching
    facts) and expensive when an atom with no bound argument comes early
    (every fact of its predicate is tried).  Greedy rule: next comes a
    built-in whose variables are all bound, else the atom with the most
    bound arguments (constants count as bound; ties keep the written order).
    The order changes the cost of a join, never its result.
    """
    bound = set(bound)
    remaining = list(body)
    ordered: list[tuple] = []

    def num_bound(atom: tuple) -> int:
        return sum(1 for arg in atom[1:] if not set(variables_in(arg)) - bound)

    while remaining:
        ready = [a for a in remaining if a[0] in BUILTINS and set(variables_in(a)) <= bound]
        lookups = [a for a in remaining if a[0] not in BUILTINS]
        if ready:
            pick = ready[0]
        elif lookups:
            pick = max(lookups, key=lambda a: (num_bound(a), -remaining.index(a)))
        else:            # a built-in that nothing binds: FactIndex.matches explains the error
            pick = remaining[0]
        ordered.append(pick)
        remaining.remove(pick)
        bound.update(variables_in(pick))
    return ordered


_ATOM = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def _split_args(text: str, where: str) -> list[str]:
    """Split ``a, f(b, c), ?x`` at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in {where!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ValueError(f"unbalanced '(' in {where!r}")
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _parse_term(text: str, where: str) -> Any:
    if not text:
        raise ValueError(f"empty argument in {where!r}")
    if text.startswith("?"):
        if not re.fullmatch(r"\?\w+", text):
            raise ValueError(f"bad variable {text!r} in {where!r} (write ?name)")
        return text
    if "(" in text:
        return parse_atom(text)
    if not re.fullmatch(r"[\w\-']+", text):
        raise ValueError(f"bad constant {text!r} in {where!r}")
    return text


def parse_atom(text: str) -> tuple:
    """Read an atom such as ``"parent(ann, ?x)"`` into ``("parent", "ann", "?x")``.

    Arguments are constants (``ann``), variables (``?x``) or compound terms
    (``f(?x, b)``).  Raises ``ValueError`` naming the problem.
    """
    match = _ATOM.match(text)
    if not match:
        raise ValueError(f"cannot read {text!r} as an atom; write e.g. parent(ann, ?x)")
    name, args = match.group(1), match.group(2)
    if args is None:
        return (name,)
    if not args.strip():
        raise ValueError(f"{text!r} has empty parentheses; write {name} for an atom "
                         "without arguments")
    return (name, *(_parse_term(a, text) for a in _split_args(args, text)))


def parse_rule(text: str) -> Rule:
    """Read ``"grandparent(?x, ?z) :- parent(?x, ?y), parent(?y, ?z)"`` into a :class:`Rule`.

    A trailing full stop is allowed.  Raises ``ValueError`` for text that is
    not a rule and for unsafe rules (see :func:`check_rule`).
    """
    body_text = text.strip().rstrip(".")
    if ":-" not in body_text:
        raise ValueError(f"{text!r} is not a rule: write head :- body1, body2")
    head_text, body_text = body_text.split(":-", 1)
    head = parse_atom(head_text)
    body = tuple(parse_atom(part) for part in _split_args(body_text, text) if part)
    return check_rule(Rule(head, body))


def format_atom(atom: Any) -> str:
    """``("parent", "ann", "?x")`` as ``"parent(ann, ?x)"`` (inverse of :func:`parse_atom`)."""
    if isinstance(atom, tuple) and atom:
        if len(atom) == 1:
            return str(atom[0])
        return f"{atom[0]}({', '.join(format_atom(a) for a in atom[1:])})"
    return str(atom)


def format_rule(rule: Rule) -> str:
    """A rule as ``"head :- body1, body2"`` (inverse of :func:`parse_rule`)."""
    return f"{format_atom(rule.head)} :- {', '.join(format_atom(a) for a in rule.body)}"


def _match(pattern: Any, value: Any, subst: dict[str, Any]) -> dict[str, Any] | None:
    """One-way matching of a pattern (already substituted) against a ground term."""
    if is_variable(pattern):
        if pattern in subst:
            return subst if subst[pattern] == value else None
        subst = dict(subst)
        subst[pattern] = value
        return subst
    if isinstance(pattern, tuple):
        if not isinstance(value, tuple) or len(value) != len(pattern):
            return None
        for p, v in zip(pattern, value, strict=True):
            subst = _match(p, v, subst)
            if subst is None:
                return None
        return subst
    return subst if pattern == value else None


class FactIndex:
    """A set of ground facts with an index on every (predicate, position, value).

    Used by problem set 4 (forward and backward chaining) and lecture
    04_reasoning.  ``index.add(fact)`` stores a fact (returns True when it was
    new), ``fact in index`` tests membership, iterating gives the facts in the
    order they were added.  :meth:`matches` is the join primitive: it yields
    every extension of a substitution under which a pattern equals a stored
    fact, looking only at the facts that agree with the pattern's bound
    arguments.  Built-ins (``neq``) are evaluated instead of looked up.

    ``FactIndex.probes`` counts, over all indexes, the candidate facts that
    :meth:`matches` examined: a machine-independent measure of join work
    (set it to 0 before a run, read it after).
    """

    probes = 0

    def __init__(self, facts: Iterable[tuple] = ()):
        self._facts: dict[tuple, None] = {}          # insertion-ordered set
        self._by_pred: dict[tuple, list[tuple]] = defaultdict(list)
        self._by_arg: dict[tuple, list[tuple]] = defaultdict(list)
        for fact in facts:
            self.add(fact)

    def add(self, fact: tuple) -> bool:
        """Store a ground fact; True if it was new, False if it was already there."""
        if fact in self._facts:
            return False
        if not isinstance(fact, tuple) or not fact or not isinstance(fact[0], str):
            raise ValueError(f"a fact is a tuple (predicate, arg, ...), got {fact!r}")
        if not is_ground(fact):
            raise ValueError(f"facts must be ground, but {format_atom(fact)} contains "
                             f"the variable(s) {', '.join(variables_in(fact))}")
        if fact[0] in BUILTINS:
            raise ValueError(f"{format_atom(fact)}: {fact[0]!r} is a built-in, not a fact")
        self._facts[fact] = None
        key = (fact[0], len(fact))
        self._by_pred[key].append(fact)
        for position, value in enumerate(fact[1:], start=1):
            self._by_arg[(*key, position, value)].append(fact)
        return True

    def update(self, facts: Iterable[tuple]) -> set[tuple]:
        """Add several facts; returns the set of those that were new."""
        return {fact for fact in facts if self.add(fact)}

    def __contains__(self, fact: object) -> bool:
        return fact in self._facts

    def __len__(self) -> int:
        return len(self._facts)

    def __iter__(self) -> Iterator[tuple]:
        return iter(list(self._facts))

    def __repr__(self) -> str:
        return f"FactIndex({len(self)} facts)"

    def candidates(self, pattern: tuple) -> list[tuple]:
        """The stored facts that agree with ``pattern`` on its ground arguments."""
        key = (pattern[0], len(pattern))
        best = self._by_pred.get(key, [])
        for position, value in enumerate(pattern[1:], start=1):
            if is_ground(value):
                bucket = self._by_arg.get((*key, position, value), [])
                if len(bucket) < len(best):
                    best = bucket
                if not best:
                    break
        return best

    def matches(self, pattern: tuple, subst: dict[str, Any] | None = None
                ) -> Iterator[dict[str, Any]]:
        """Yield every extension of ``subst`` under which ``pattern`` equals a stored fact.

        ``pattern`` is an atom that may contain variables (bound ones are
        replaced through ``subst`` first).  The given ``subst`` is never
        changed; each result is a new dict.  For a built-in such as
        ``neq(?x, ?y)`` the arguments must be bound: it yields ``subst`` once
        when the test holds and nothing otherwise.
        """
        subst = {} if subst is None else subst
        pattern = substitute(pattern, subst)
        if pattern[0] in BUILTINS:
            if not is_ground(pattern):
                raise ValueError(f"the built-in {format_atom(pattern)} needs bound arguments; "
                                 "put it after the atoms that bind its variables")
            FactIndex.probes += 1
            if BUILTINS[pattern[0]](*pattern[1:]):
                yield dict(subst)
            return
        found = self.candidates(pattern)
        FactIndex.probes += len(found)
        for fact in found:
            result = _match(pattern, fact, subst)
            if result is not None:
                yield result if result is not subst else dict(subst)


# =====================================================================================
# Kinship knowledge bases
# =====================================================================================

#: The Horn rules of the kinship bases, as text (see :func:`parse_rule`).
KINSHIP_RULES = [
    "father(?x, ?y) :- parent(?x, ?y), male(?x)",
    "mother(?x, ?y) :- parent(?x, ?y), female(?x)",
    "grandparent(?x, ?z) :- parent(?x, ?y), parent(?y, ?z)",
    "sibling(?x, ?y) :- parent(?p, ?x), parent(?p, ?y), neq(?x, ?y)",
    "uncle(?x, ?y) :- parent(?p, ?y), sibling(?x, ?p), male(?x)",
    "aunt(?x, ?y) :- parent(?p, ?y), sibling(?x, ?p), female(?x)",
    "ancestor(?x, ?y) :- parent(?x, ?y)",
    "ancestor(?x, ?z) :- parent(?x, ?y), ancestor(?y, ?z)",
    "cousin(?x, ?y) :- parent(?p, ?x), sibling(?p, ?q), parent(?q, ?y)",
]

_FEMALE = ("ann beth cara dora emma fay gina hana iris jane kate lena maya nina olga pia "
           "rosa sara tina una vera wren xena yara zoe alma bea cleo dana eve").split()
_MALE = ("adam ben carl dan eric finn glen hugo ivan jack karl leo max ned otto paul "
         "quinn rob sam tom ugo vic walt xavi yuri zack abe bo cy del").split()


@dataclass(frozen=True)
class KinshipQuestion:
    """A question about a kinship base with its ground-truth answer.

    ``query`` is an atom: with one variable (``("grandparent", "?who", "ann")``)
    for a *who* question, whose ``answer`` is the frozenset of names; ground
    (``("ancestor", "ann", "bob")``) for a yes/no question, whose ``answer``
    is a bool.  ``kind`` is the relation asked about.
    """

    text: str
    query: tuple
    answer: frozenset | bool
    kind: str


@dataclass
class KinshipKB:
    """A generated family: ``people``, ground ``facts``, Horn ``rules`` and ``questions``.

    ``parents`` maps each person with parents to ``(father, mother)``;
    founders and people who married into the family have none.
    """

    people: list[str]
    gender: dict[str, str]
    parents: dict[str, tuple[str, str]]
    facts: list[tuple]
    rules: list[Rule]
    questions: list[KinshipQuestion]

    def relation(self, kind: str) -> dict[str, set[str]]:
        """Ground truth from the family tree: ``y`` -> the set of ``x`` with ``kind(x, y)``."""
        return _kin_relation(self, kind)


def _name_pool(names: list[str], rng: random.Random) -> Iterator[str]:
    """Endless distinct names: the list shuffled, then again with 2, 3, ... appended."""
    round_ = 1
    while True:
        batch = list(names)
        rng.shuffle(batch)
        yield from (name if round_ == 1 else f"{name}{round_}" for name in batch)
        round_ += 1


def _kin_relation(kb: KinshipKB, kind: str) -> dict[str, set[str]]:
    children: dict[str, list[str]] = defaultdict(list)
    for child, pair in kb.parents.items():
        for p in pair:
            children[p].append(child)

    def parents_of(y: str) -> set[str]:
        return set(kb.parents.get(y, ()))

    def siblings_of(y: str) -> set[str]:
        return {c for p in parents_of(y) for c in children[p]} - {y}

    def ancestors_of(y: str) -> set[str]:
        found, todo = set(), list(parents_of(y))
        while todo:
            p = todo.pop()
            if p not in found:
                found.add(p)
                todo += parents_of(p)
        return found

    result: dict[str, set[str]] = {}
    for y in kb.people:
        if kind == "parent":
            rel = parents_of(y)
        elif kind in ("father", "mother"):
            want = "male" if kind == "father" else "female"
            rel = {p for p in parents_of(y) if kb.gender[p] == want}
        elif kind == "grandparent":
            rel = {g for p in parents_of(y) for g in parents_of(p)}
        elif kind == "sibling":
            rel = siblings_of(y)
        elif kind in ("uncle", "aunt"):
            want = "male" if kind == "uncle" else "female"
            rel = {s for p in parents_of(y) for s in siblings_of(p) if kb.gender[s] == want}
        elif kind == "ancestor":
            rel = ancestors_of(y)
        elif kind == "cousin":
            rel = {c for p in parents_of(y) for s in siblings_of(p) for c in children[s]}
        else:
            raise ValueError(f"unknown relation {kind!r}; known: parent, father, mother, "
                             "grandparent, sibling, uncle, aunt, ancestor, cousin")
        result[y] = rel
    return result


_QUESTION_TEXT = {
    "grandparent": "Who are the grandparents of {y}?",
    "sibling": "Who are the siblings of {y}?",
    "uncle": "Who are the uncles of {y}?",
    "aunt": "Who are the aunts of {y}?",
    "ancestor": "Who are the ancestors of {y}?",
    "cousin": "Who are the cousins of {y}?",
    "father": "Who is the father of {y}?",
    "mother": "Who is the mother of {y}?",
}
_YES_NO_TEXT = {
    "grandparent": "Is {x} a grandparent of {y}?",
    "sibling": "Is {x} a sibling of {y}?",
    "uncle": "Is {x} an uncle of {y}?",
    "aunt": "Is {x} an aunt of {y}?",
    "ancestor": "Is {x} an ancestor of {y}?",
    "cousin": "Is {x} a cousin of {y}?",
}


def generate_kinship(num_people: int = 30, seed: int = 0, num_questions: int = 24,
                     max_children: int = 3, marry_prob: float = 0.75) -> KinshipKB:
    """A random family of ``num_people`` people with facts, rules and questions.

    Used by lecture 04_reasoning (proofs, the cost of naive and semi-naive
    forward chaining), problem set 4 and ``benchmarks/reasoning.py``.

    The family grows from founder couples: each couple has 1 to
    ``max_children`` children, and each child marries, with probability
    ``marry_prob``, a newcomer without recorded parents, making a new couple
    whose children come later.  So every person has two parents or none.
    There is one founder couple per 100 people (at least two), so families
    span about eight to ten generations at every size.
    Facts: ``parent(x, y)`` ("x is a parent of y"), ``male(x)``, ``female(x)``.
    Rules: :data:`KINSHIP_RULES`.  Questions (``num_questions``, half *who*,
    half yes/no, over grandparent, sibling, uncle, aunt, ancestor and cousin)
    carry answers computed from the family tree directly.
    """
    if num_people < 4:
        raise ValueError(f"num_people must be at least 4 (two founder couples), got {num_people}")
    if max_children < 1:
        raise ValueError(f"max_children must be at least 1, got {max_children}")
    rng = random.Random(f"kinship-{seed}")
    pools = {"female": _name_pool(_FEMALE, rng), "male": _name_pool(_MALE, rng)}
    people: list[str] = []
    gender: dict[str, str] = {}
    parents: dict[str, tuple[str, str]] = {}

    def new_person(sex: str | None = None) -> str:
        sex = sex or rng.choice(("female", "male"))
        name = next(pools[sex])
        people.append(name)
        gender[name] = sex
        return name

    num_founder_couples = max(2, round(0.01 * num_people))
    couples: list[tuple[str, str]] = []
    for _ in range(num_founder_couples):
        if len(people) + 2 > num_people:
            break
        couples.append((new_person("male"), new_person("female")))
    next_couple = 0
    while len(people) < num_people:
        if next_couple == len(couples):      # every couple had its children: new founders
            if len(people) + 2 > num_people:
                new_person()
                break
            couples.append((new_person("male"), new_person("female")))
        father, mother = couples[next_couple]
        next_couple += 1
        kids = []
        for _ in range(rng.randint(1, max_children)):
            if len(people) >= num_people:
                break
            child = new_person()
            parents[child] = (father, mother)
            kids.append(child)
        for child in kids:
            if len(people) < num_people and rng.random() < marry_prob:
                spouse = new_person("female" if gender[child] == "male" else "male")
                couples.append((child, spouse) if gender[child] == "male" else (spouse, child))

    facts: list[tuple] = []
    for person in people:
        facts.append((gender[person], person))
    for child in people:
        if child in parents:
            for p in parents[child]:
                facts.append(("parent", p, child))
    rules = [parse_rule(text) for text in KINSHIP_RULES]
    kb = KinshipKB(people, gender, parents, facts, rules, [])
    kb.questions = _kinship_questions(kb, num_questions, rng)
    return kb


def _kinship_questions(kb: KinshipKB, count: int, rng: random.Random) -> list[KinshipQuestion]:
    kinds = ["grandparent", "sibling", "uncle", "aunt", "ancestor", "cousin"]
    truth = {kind: kb.relation(kind) for kind in kinds}
    questions: list[KinshipQuestion] = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        rel = truth[kind]
        with_answers = [y for y in kb.people if rel[y]]
        if i % 2 == 0 or not with_answers:
            # a "who" question; prefer people who have such relatives
            y = rng.choice(with_answers or kb.people)
            questions.append(KinshipQuestion(_QUESTION_TEXT[kind].format(y=y),
                                             (kind, "?who", y), frozenset(rel[y]), kind))
        else:
            y = rng.choice(with_answers)
            if rng.random() < 0.5:
                x, answer = rng.choice(sorted(rel[y])), True
            else:
                others = [p for p in kb.people if p not in rel[y] and p != y]
                x, answer = rng.choice(others), False
            questions.append(KinshipQuestion(_YES_NO_TEXT[kind].format(x=x, y=y),
                                             (kind, x, y), answer, kind))
    return questions


# =====================================================================================
# bAbI-style stories in the official bAbI text format
# =====================================================================================

#: The tasks the generator writes: number -> the name used in the official file names.
BABI_TASKS = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    6: "yes-no-questions",
    7: "counting",
    15: "basic-deduction",
    16: "basic-induction",
}


@dataclass(frozen=True)
class BabiLine:
    """One numbered line of a bAbI story: a statement, or a question with its answer.

    ``number`` is the line number within the story (from 1); a question has
    an ``answer`` and the line numbers of its ``supporting`` statements.
    """

    number: int
    text: str
    answer: str | None = None
    supporting: tuple[int, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.answer is not None

    def to_text(self) -> str:
        """The line in the official format (no newline)."""
        if self.answer is None:
            return f"{self.number} {self.text}"
        return (f"{self.number} {self.text}\t{self.answer}\t"
                f"{' '.join(str(i) for i in self.supporting)}")


@dataclass(frozen=True)
class BabiExample:
    """One question with the statements before it in its story (the memory).

    ``story`` holds the statements, oldest first, ``line_numbers`` their line
    numbers; ``supporting`` are line numbers, :attr:`supporting_positions`
    the matching positions in ``story``.
    """

    story: tuple[str, ...]
    line_numbers: tuple[int, ...]
    question: str
    answer: str
    supporting: tuple[int, ...]
    task: int | None = None

    @property
    def supporting_positions(self) -> tuple[int, ...]:
        where = {n: i for i, n in enumerate(self.line_numbers)}
        return tuple(where[n] for n in self.supporting if n in where)


def write_babi(stories: Sequence[Sequence[BabiLine]], path: str | Path | None = None) -> str:
    """The stories as text in the official bAbI format; also written to ``path`` if given.

    One line per statement or question, numbered from 1 within each story;
    a question line is ``number question<TAB>answer<TAB>supporting ids``.
    """
    lines = []
    for s, story in enumerate(stories):
        for expected, line in enumerate(story, start=1):
            if line.number != expected:
                raise ValueError(f"story {s}: line {expected} is numbered {line.number}")
            if "\t" in line.text or "\n" in line.text:
                raise ValueError(f"story {s}, line {expected}: text contains a tab or newline")
            lines.append(line.to_text())
    text = "\n".join(lines) + ("\n" if lines else "")
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def parse_babi(text: str, source: str = "<text>") -> list[list[BabiLine]]:
    """Stories from bAbI-format text; ``ValueError`` with the line number for malformed input.

    Used by :func:`read_babi`.  Each line is ``number text``; the number is 1
    at the start of a story and goes up by one.  A question line has three
    TAB-separated fields: the question, the answer and the space-separated
    line numbers of its supporting statements, which must be earlier
    statements of the same story.  Blank lines are skipped.
    """
    stories: list[list[BabiLine]] = []
    story: list[BabiLine] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}, line {lineno}"
        if not raw.strip():
            continue
        head, _, rest = raw.strip("\r\n").partition(" ")
        if not head.isdigit():
            raise ValueError(f"{where}: expected a line number at the start, found {head!r} "
                             "(each bAbI line is '<number> <text>')")
        number = int(head)
        if number == 1:
            if story:
                stories.append(story)
            story = []
        elif not story:
            raise ValueError(f"{where}: the first line of a story must be numbered 1, "
                             f"found {number}")
        elif number != story[-1].number + 1:
            raise ValueError(f"{where}: line number {number} does not follow "
                             f"{story[-1].number}; numbers go up by one within a story and "
                             "restart at 1 for a new story")
        if "\t" in rest:
            fields = rest.split("\t")
            if len(fields) < 3:
                raise ValueError(f"{where}: a question line needs three TAB-separated fields "
                                 f"(question, answer, supporting fact ids), found {len(fields)}")
            if len(fields) > 3 and any(f.strip() for f in fields[3:]):
                raise ValueError(f"{where}: a question line has three TAB-separated fields, "
                                 f"found {len(fields)}")
            question, answer, ids = fields[0].strip(), fields[1].strip(), fields[2].split()
            if not question:
                raise ValueError(f"{where}: the question field is empty")
            if not answer:
                raise ValueError(f"{where}: the answer field is empty")
            if not ids:
                raise ValueError(f"{where}: the supporting fact ids field is empty")
            if not all(i.isdigit() for i in ids):
                raise ValueError(f"{where}: supporting fact ids must be line numbers, "
                                 f"found {fields[2].strip()!r}")
            supporting = tuple(int(i) for i in ids)
            statements = {line.number for line in story if not line.is_question}
            bad = [i for i in supporting if i not in statements]
            if bad:
                raise ValueError(f"{where}: supporting fact id(s) {bad} are not earlier "
                                 "statements of this story")
            story.append(BabiLine(number, question, answer, supporting))
        else:
            statement = rest.strip()
            if not statement:
                raise ValueError(f"{where}: line {number} has no text")
            if statement.endswith("?"):
                raise ValueError(f"{where}: {statement!r} looks like a question but has no "
                                 "TAB-separated answer and supporting fact ids")
            story.append(BabiLine(number, statement))
    if story:
        stories.append(story)
    return stories


def read_babi(path: str | Path) -> list[list[BabiLine]]:
    """Read a bAbI file (official or generated); errors name the file and the line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such bAbI file")
    return parse_babi(path.read_text(encoding="utf-8"), source=str(path))


def babi_examples(stories: Sequence[Sequence[BabiLine]], task: int | None = None
                  ) -> list[BabiExample]:
    """One :class:`BabiExample` per question: the question with the statements before it."""
    examples = []
    for story in stories:
        memory: list[BabiLine] = []
        for line in story:
            if line.is_question:
                examples.append(BabiExample(
                    story=tuple(m.text for m in memory),
                    line_numbers=tuple(m.number for m in memory),
                    question=line.text, answer=str(line.answer),
                    supporting=line.supporting, task=task))
            else:
                memory.append(line)
    return examples


_PEOPLE = ["Mary", "John", "Sandra", "Daniel"]
_PLACES = ["bathroom", "hallway", "garden", "office", "kitchen", "bedroom"]
_OBJECTS = ["football", "apple", "milk"]
_MOVES = ["moved to", "went to", "journeyed to", "travelled to", "went back to"]
_GETS = ["got", "picked up", "grabbed", "took"]
_DROPS = ["dropped", "discarded", "put down", "left"]
_NUMBERS = ["none", "one", "two", "three"]


class _StoryWriter:
    """Collects the numbered lines of one story."""

    def __init__(self) -> None:
        self.lines: list[BabiLine] = []

    def say(self, text: str) -> int:
        self.lines.append(BabiLine(len(self.lines) + 1, text))
        return len(self.lines)

    def ask(self, text: str, answer: str, supporting: Sequence[int]) -> None:
        self.lines.append(BabiLine(len(self.lines) + 1, text, answer, tuple(supporting)))


def _story_movement(rng: random.Random, num_questions: int, task: int) -> list[BabiLine]:
    """Tasks 1, 2, 6, 7: people move around, pick up and drop objects, questions in between."""
    w = _StoryWriter()
    where: dict[str, tuple[str, int]] = {}            # person -> (place, line)
    holder: dict[str, tuple[str, int]] = {}           # object -> (person, line of get)
    carried: dict[str, dict[str, int]] = {p: {} for p in _PEOPLE}  # person -> object -> line
    events: dict[str, list[int]] = {p: [] for p in _PEOPLE}         # counting: get/drop lines
    asked = 0
    while asked < num_questions:
        for _ in range(2 if task in (1, 6) else rng.randint(2, 3)):
            person = rng.choice(_PEOPLE)
            things = carried[person]
            roll = rng.random()
            if task in (2, 6, 7) and roll < 0.35 and person in where:
                free = [o for o in _OBJECTS if o not in holder]
                if free:
                    obj = rng.choice(free)
                    line = w.say(f"{person} {rng.choice(_GETS)} the {obj} there.")
                    holder[obj] = (person, line)
                    things[obj] = line
                    events[person].append(line)
                    continue
            if task in (2, 6, 7) and roll < 0.5 and things:
                obj = rng.choice(sorted(things))
                line = w.say(f"{person} {rng.choice(_DROPS)} the {obj}.")
                del holder[obj], things[obj]
                events[person].append(line)
                continue
            current = where.get(person, ("", 0))[0]
            place = rng.choice([p for p in _PLACES if p != current])
            line = w.say(f"{person} {rng.choice(_MOVES)} the {place}.")
            where[person] = (place, line)
        if task in (1, 6):
            person = rng.choice(sorted(where))
            place, line = where[person]
            if task == 1:
                w.ask(f"Where is {person}?", place, [line])
            else:
                if rng.random() < 0.5:
                    w.ask(f"Is {person} in the {place}?", "yes", [line])
                else:
                    other = rng.choice([p for p in _PLACES if p != place])
                    w.ask(f"Is {person} in the {other}?", "no", [line])
            asked += 1
        elif task == 2:
            held = [o for o, (p, _) in holder.items() if p in where]
            if not held:
                continue
            obj = rng.choice(sorted(held))
            person, got_line = holder[obj]
            place, move_line = where[person]
            w.ask(f"Where is the {obj}?", place, sorted([got_line, move_line]))
            asked += 1
        else:  # task 7
            person = rng.choice([p for p in _PEOPLE if p in where])
            count = len(carried[person])
            # the gets of what the person holds, and the last drop (if any)
            support = sorted(carried[person].values())
            drops = [e for e in events[person] if e not in carried[person].values()]
            support = sorted(set(support + drops[-1:])) or [where[person][1]]
            w.ask(f"How many objects is {person} carrying?", _NUMBERS[count], support)
            asked += 1
    return w.lines


_KINDS = {"mouse": "mice", "sheep": "sheep", "wolf": "wolves", "cat": "cats"}
_ANIMAL_NAMES = ["Gertrude", "Winona", "Jessica", "Emily", "Lily", "Bernhard", "Brian",
                 "Julius", "Greg"]
_KINDS16 = ["swan", "lion", "frog", "rhino"]
_COLORS = ["white", "gray", "yellow", "green"]

#: The interchangeable words of the generated stories, one tuple per kind of
#: entity.  Renaming the entities of one kind consistently (every "Mary"
#: becomes "Sandra" and every "Sandra" becomes "Mary", in the story, the
#: question and the answer) never changes what a story means, so
#: ``course.reasoning.train_memn2n`` uses these groups to rename entities at
#: random during training (a memory network must then learn the task, not
#: facts about particular names).  The kinds of task 15 are left out: their
#: plurals ("mice") are different words.
BABI_ENTITIES: dict[str, tuple[str, ...]] = {
    "people": tuple(_PEOPLE),
    "places": tuple(_PLACES),
    "objects": tuple(_OBJECTS),
    "animal names": tuple(_ANIMAL_NAMES),
    "animal kinds (task 16)": tuple(_KINDS16),
    "colours": tuple(_COLORS),
}


def _story_deduction(rng: random.Random, num_questions: int) -> list[BabiLine]:
    """Task 15: "Sheep are afraid of wolves. Gertrude is a sheep. What is Gertrude afraid of?"."""
    w = _StoryWriter()
    kinds = list(_KINDS)
    statements = []
    for kind in kinds:
        statements.append(("fear", kind, rng.choice([k for k in kinds if k != kind])))
    names = rng.sample(_ANIMAL_NAMES, 4)
    for name in names:
        statements.append(("isa", name, rng.choice(kinds)))
    rng.shuffle(statements)
    fear_line, isa_line = {}, {}
    for kind_or_name in statements:
        tag, a, b = kind_or_name
        if tag == "fear":
            fear_line[a] = (b, w.say(f"{_KINDS[a].capitalize()} are afraid of {_KINDS[b]}."))
        else:
            isa_line[a] = (b, w.say(f"{a} is a {b}."))
    for name in rng.sample(names, min(num_questions, len(names))):
        kind, l1 = isa_line[name]
        feared, l2 = fear_line[kind]
        w.ask(f"What is {name} afraid of?", feared, [l1, l2])
    return w.lines


def _story_induction(rng: random.Random) -> list[BabiLine]:
    """Task 16: "Lily is a swan. Lily is white. Greg is a swan. What color is Greg?"."""
    w = _StoryWriter()
    names = rng.sample(_ANIMAL_NAMES, 5)
    kinds = rng.sample(_KINDS16, 4)
    color_of = {k: rng.choice(_COLORS) for k in kinds}
    target = names[-1]
    target_kind = rng.choice(kinds)
    # four other animals; at least one shares the target's kind
    others = names[:-1]
    kind_of = {others[0]: target_kind}
    for name in others[1:]:
        kind_of[name] = rng.choice(kinds)
    statements = []
    for name in others:
        statements.append(("isa", name, kind_of[name]))
        statements.append(("color", name, color_of[kind_of[name]]))
    rng.shuffle(statements)
    lines: dict[tuple[str, str], int] = {}
    for tag, name, value in statements:
        text = f"{name} is a {value}." if tag == "isa" else f"{name} is {value}."
        lines[(tag, name)] = w.say(text)
    isa_target = w.say(f"{target} is a {target_kind}.")
    # the supporting evidence: the most recent animal of the same kind whose colour is known
    same = [n for n in others if kind_of[n] == target_kind]
    witness = max(same, key=lambda n: lines[("color", n)])
    w.ask(f"What color is {target}?", color_of[target_kind],
          [isa_target, lines[("isa", witness)], lines[("color", witness)]])
    return w.lines


def generate_babi(task: int, num_questions: int = 1000, seed: int = 0
                  ) -> list[list[BabiLine]]:
    """bAbI-style stories for ``task`` with ``num_questions`` questions in total.

    Used by lecture 04_reasoning, the problem set's demo and
    ``benchmarks/reasoning.py``.  Tasks (:data:`BABI_TASKS`): 1 single
    supporting fact ("Where is Mary?"), 2 two supporting facts ("Where is
    the football?"), 6 yes/no questions, 7 counting, 15 basic deduction, 16
    basic induction; stories of tasks 1 and 6 hold five questions, like the
    official data.  Same vocabulary and sentence shapes as the published
    tasks, but a different generator: numbers measured on these stories are
    close to, not equal to, those on the official files.
    """
    if task not in BABI_TASKS:
        raise ValueError(f"no generator for bAbI task {task}; available: {sorted(BABI_TASKS)}")
    if num_questions < 1:
        raise ValueError(f"num_questions must be at least 1, got {num_questions}")
    rng = random.Random(f"babi-{task}-{seed}")
    stories: list[list[BabiLine]] = []
    remaining = num_questions
    while remaining > 0:
        if task == 15:
            story = _story_deduction(rng, min(remaining, rng.randint(2, 4)))
        elif task == 16:
            story = _story_induction(rng)
        else:
            story = _story_movement(rng, min(remaining, 5), task)
        stories.append(story)
        remaining -= sum(line.is_question for line in story)
    return stories


def load_babi_task(task: int, split: str = "train", num_questions: int = 1000, seed: int = 0,
                   folder: str | Path | None = None) -> list[BabiExample]:
    """The examples of one bAbI task: generated (default) or read from the official files.

    With ``folder`` (a folder of the published data, e.g. ``tasks_1-20_v1-2/en``)
    the file ``qa{task}_*_{split}.txt`` is read with :func:`read_babi`; without,
    stories are generated with :func:`generate_babi` (train, valid and test
    use different seeds), written to ``cache_dir("reasoning")`` in the
    official format and read back through the same loader.
    """
    if split not in ("train", "valid", "test"):
        raise ValueError(f"split must be 'train', 'valid' or 'test', got {split!r}")
    if folder is not None:
        folder = Path(folder)
        found = sorted(folder.glob(f"qa{task}_*_{split}.txt"))
        if not found:
            raise DataUnavailable(
                f"no file qa{task}_*_{split}.txt in {folder}",
                "point folder= at the 'en' folder of the published bAbI tasks, or leave it "
                "out to use generated stories")
        return babi_examples(read_babi(found[0]), task=task)
    offset = {"train": 0, "valid": 1, "test": 2}[split]
    stories = generate_babi(task, num_questions, seed=seed * 3 + offset)
    name = BABI_TASKS[task]
    path = cache_dir("reasoning", f"babi-n{num_questions}-seed{seed}") / \
        f"qa{task}_{name}_{split}.txt"
    write_babi(stories, path)
    return babi_examples(read_babi(path), task=task)


# =====================================================================================
# Tree-structured models of discrete variables
# =====================================================================================

@dataclass
class TreeModel:
    """A directed tree of discrete variables: a prior at the root, a table per edge.

    Used by problem set 4 (sum-product) and lecture 04_reasoning.
    ``parents[i]`` is the parent of node ``i`` (-1 for the root, which is
    node 0); parents come before their children (``parents[i] < i``).
    ``cpts[0]`` is the root's prior, shape ``(k,)``; for ``i > 0``,
    ``cpts[i][a, b] = P(X_i = b | X_parent = a)``, shape ``(k, k)``.
    The joint is ``P(x) = cpts[0][x_0] * prod_i cpts[i][x_parent(i), x_i]``.
    """

    names: list[str]
    parents: list[int]
    cpts: list[np.ndarray]
    num_states: int = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.parents)
        if n == 0:
            raise ValueError("a tree model needs at least one node")
        if len(self.names) != n or len(self.cpts) != n:
            raise ValueError(f"names ({len(self.names)}), parents ({n}) and cpts "
                             f"({len(self.cpts)}) must have the same length")
        if self.parents[0] != -1:
            raise ValueError("node 0 is the root: parents[0] must be -1")
        for i in range(1, n):
            if not 0 <= self.parents[i] < i:
                raise ValueError(f"parents[{i}] = {self.parents[i]}: every node's parent must "
                                 "come before it (0 <= parents[i] < i)")
        self.cpts = [np.asarray(c, dtype=float) for c in self.cpts]
        k = self.cpts[0].shape[0]
        if self.cpts[0].shape != (k,):
            raise ValueError(f"cpts[0] (the root prior) must have shape (k,), got "
                             f"{self.cpts[0].shape}")
        for i, table in enumerate(self.cpts):
            want = (k,) if i == 0 else (k, k)
            if table.shape != want:
                raise ValueError(f"cpts[{i}] has shape {table.shape}; expected {want}")
            if (table < 0).any() or not np.allclose(table.sum(-1), 1.0):
                raise ValueError(f"cpts[{i}] must hold probabilities that sum to 1 over the "
                                 "last axis")
        self.num_states = k

    @property
    def num_nodes(self) -> int:
        return len(self.parents)

    def children(self, i: int) -> list[int]:
        """The children of node ``i``, in increasing order."""
        return [j for j, p in enumerate(self.parents) if p == i]

    def index(self, name_or_index: str | int) -> int:
        """The node number of a name (numbers pass through)."""
        if isinstance(name_or_index, (int, np.integer)):
            return int(name_or_index)
        try:
            return self.names.index(name_or_index)
        except ValueError:
            raise KeyError(f"no node named {name_or_index!r}") from None

    def joint(self, assignment: Sequence[int]) -> float:
        """``P(X = assignment)`` for a full assignment of all nodes."""
        p = self.cpts[0][assignment[0]]
        for i in range(1, self.num_nodes):
            p *= self.cpts[i][assignment[self.parents[i]], assignment[i]]
        return float(p)


def _random_cpt(rng: np.random.Generator, k: int, strength: float) -> np.ndarray:
    """A (k, k) table with a heavier diagonal (a child tends to copy its parent)."""
    table = rng.dirichlet(np.ones(k), size=k) + strength * np.eye(k)
    return table / table.sum(1, keepdims=True)


def random_tree_model(num_nodes: int = 6, num_states: int = 2, seed: int = 0,
                      strength: float = 1.0) -> TreeModel:
    """A random tree of ``num_nodes`` variables with ``num_states`` values each.

    Node ``i > 0`` hangs under a random earlier node; tables are random,
    strictly positive, with ``strength`` pulling each child towards its
    parent's value (0 = no pull).  Used by problem set 4 and the lecture.
    """
    if num_nodes < 1 or num_states < 2:
        raise ValueError(f"need num_nodes >= 1 and num_states >= 2, got {num_nodes}, "
                         f"{num_states}")
    rng = np.random.default_rng(seed)
    parents = [-1] + [int(rng.integers(0, i)) for i in range(1, num_nodes)]
    prior = rng.dirichlet(np.ones(num_states) * 2)
    cpts = [prior] + [_random_cpt(rng, num_states, strength) for _ in range(1, num_nodes)]
    return TreeModel([f"X{i}" for i in range(num_nodes)], parents, cpts)


_DEFAULT_TOPICS = {
    "weather": ["rain", "sunny", "forecast", "umbrella"],
    "food": ["pizza", "menu", "hungry", "dinner"],
    "travel": ["flight", "hotel", "ticket", "airport"],
}


def latent_word_tree(groups: dict[str, list[str]] | None = None, seed: int = 0,
                     p_word_on: tuple[float, float] = (0.55, 0.85),
                     p_word_off: tuple[float, float] = (0.02, 0.08)) -> TreeModel:
    """A latent tree like module 1's: a latent root, one latent topic per group, word leaves.

    Used by lecture 04_reasoning (explaining a topic from observed words).
    Every variable is binary.  Node 0 is the latent root ``"H:root"``
    (value 1: a talkative, on-topic dialogue); then for each group a latent
    topic ``"H:<group>"`` and its words ``"<word>"`` (1 = the word occurs).
    A topic is more likely on when the root is on; a word is likely
    (``p_word_on``) when its topic is on and rare (``p_word_off``) when it is
    off.  With one group (``{"topic": words}``) the root's single child is the
    only topic, which is the latent class model (a latent root with word
    children one level down).
    """
    groups = dict(_DEFAULT_TOPICS if groups is None else groups)
    if not groups or any(not words for words in groups.values()):
        raise ValueError("groups must map each topic name to a non-empty list of words")
    rng = np.random.default_rng(seed)
    names, parents, cpts = ["H:root"], [-1], [np.array([0.5, 0.5])]
    for group, words in groups.items():
        topic = len(names)
        off, on = rng.uniform(0.1, 0.25), rng.uniform(0.5, 0.7)
        names.append(f"H:{group}")
        parents.append(0)
        cpts.append(np.array([[1 - off, off], [1 - on, on]]))
        for word in words:
            lo, hi = rng.uniform(*p_word_off), rng.uniform(*p_word_on)
            names.append(word)
            parents.append(topic)
            cpts.append(np.array([[1 - lo, lo], [1 - hi, hi]]))
    return TreeModel(names, parents, cpts)


def sample_tree_model(model: TreeModel, num_samples: int, seed: int = 0) -> np.ndarray:
    """``num_samples`` joint samples by ancestral sampling: an int array ``(num_samples, n)``."""
    rng = np.random.default_rng(seed)
    n, k = model.num_nodes, model.num_states
    X = np.zeros((num_samples, n), dtype=int)
    X[:, 0] = rng.choice(k, size=num_samples, p=model.cpts[0])
    for i in range(1, n):
        probs = model.cpts[i][X[:, model.parents[i]]]          # (num_samples, k)
        u = rng.random(num_samples)[:, None]
        X[:, i] = (u > probs.cumsum(1)).sum(1).clip(max=k - 1)
    return X
