"""The standard objects (and the one custom object) revops reads and writes.

A trimmed version of each object's real schema: the fields the project uses,
with their real types, key prefixes, required fields and read-only fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    fields: Mapping[str, str]
    key_prefix: str | None = None
    label: str | None = None
    required: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    picklists: Mapping[str, Iterable[str]] = field(default_factory=dict)


OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

STANDARD_OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec(
        "User",
        {
            "Name": "string",
            "Email": "email",
            "Username": "string",
            "IsActive": "boolean",
            "TimeZoneSidKey": "picklist",
            "LocaleSidKey": "picklist",
        },
        key_prefix="005",
        required=("TimeZoneSidKey", "LocaleSidKey"),
    ),
    ObjectSpec(
        "Account",
        {"Name": "string", "OwnerId": "reference:User", "Type": "picklist", "Industry": "picklist"},
        key_prefix="001",
        required=("Name",),
    ),
    ObjectSpec(
        "Contact",
        {
            "Name": "string",
            "Email": "email",
            "AccountId": "reference:Account",
            "OwnerId": "reference:User",
        },
        key_prefix="003",
    ),
    ObjectSpec(
        "Lead",
        {
            "Name": "string",
            "Email": "email",
            "Company": "string",
            "Status": "picklist",
            "OwnerId": "reference:User",
        },
        key_prefix="00Q",
    ),
    ObjectSpec(
        "Opportunity",
        {
            "Name": "string",
            "AccountId": "reference:Account",
            "OwnerId": "reference:User",
            "Amount": "currency",
            "StageName": "picklist",
            "CloseDate": "date",
            "IsClosed": "boolean",
            "IsWon": "boolean",
            "LeadSource": "picklist",
            "Type": "picklist",
            "CreatedDate": "datetime",
        },
        key_prefix="006",
        required=("Name", "StageName", "CloseDate"),
        read_only=("IsClosed", "IsWon"),
        picklists={"StageName": OPPORTUNITY_STAGES},
    ),
    ObjectSpec(
        "Event",
        {
            "Subject": "string",
            "OwnerId": "reference:User",
            "WhatId": "reference:Account|Opportunity",
            "WhoId": "reference:Contact|Lead",
            "ActivityDate": "date",
            "StartDateTime": "datetime",
            "EndDateTime": "datetime",
            "Type": "picklist",
        },
        key_prefix="00U",
    ),
    ObjectSpec(
        "Task",
        {
            "Subject": "string",
            "OwnerId": "reference:User",
            "WhatId": "reference:Account|Opportunity",
            "WhoId": "reference:Contact|Lead",
            "ActivityDate": "date",
            "Status": "picklist",
            "Type": "picklist",
        },
        key_prefix="00T",
    ),
    ObjectSpec(
        "DocListEntry__c",
        {
            "Name": "string",
            "Document__c": "url",
            "Account__c": "reference:Account",
            "File_Name__c": "string",
            "File_Size__c": "double",
        },
        label="Doc List Entry",
    ),
)
