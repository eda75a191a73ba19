"""Citizen report categories and the departments that handle them (`data/taxonomy.json`).

Category codes double as Open311 service codes; triage, the simulators and the API share them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Model):
    code: str = Field(pattern=r"^[a-z_]+$")
    vi: str
    en: str


class Category(_Model):
    code: str = Field(pattern=r"^[a-z_]+$")
    vi: str
    en: str
    department: str


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # ignore: the file has a _comment

    departments: tuple[Department, ...]
    categories: tuple[Category, ...]

    @model_validator(mode="after")
    def _departments_exist(self) -> Taxonomy:
        known = {d.code for d in self.departments}
        for c in self.categories:
            if c.department not in known:
                raise ValueError(f"category {c.code!r} names unknown department {c.department!r}")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    def category(self, code: str) -> Category:
        for c in self.categories:
            if c.code == code:
                return c
        raise KeyError(f"unknown category {code!r}; known: {list(self.codes)}")

    def department(self, code: str) -> Department:
        for d in self.departments:
            if d.code == code:
                return d
        raise KeyError(f"unknown department {code!r}; known: {[d.code for d in self.departments]}")

    def department_of(self, category_code: str) -> Department:
        return self.department(self.category(category_code).department)


@lru_cache
def load_taxonomy() -> Taxonomy:
    text = files("ioc").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.model_validate(json.loads(text))
