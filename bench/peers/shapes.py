"""The Graph event page as msgspec Structs and as pydantic v2 models: the typed peers of `make bench`.

Runs under .bench-venv. Both declare the same shape: the properties a default /me/events page carries
(plus a few Graph often sends), every one optional as $select may drop it, camelCase on the wire,
enums as Enum members and DateTimeOffsets as datetimes, the page's `value` as a list of events.
odatakit's generated Event declares all of Graph's event properties instead (94 of them, one lookup
each whether present or not): that is what a package generated from $metadata is, and it counts.

    msgspec_events(data)    msgspec.json.Decoder(StructPage).decode(data).value
    pydantic_events(data)   TypeAdapter(ModelPage).validate_json(data).value
"""

from __future__ import annotations

import datetime
import enum

import msgspec
import pydantic
from pydantic.alias_generators import to_camel


class Importance(enum.Enum):
    """Graph's importance."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class FreeBusyStatus(enum.Enum):
    """Graph's freeBusyStatus (event.showAs)."""

    UNKNOWN = "unknown"
    FREE = "free"
    TENTATIVE = "tentative"
    BUSY = "busy"
    OOF = "oof"
    WORKING_ELSEWHERE = "workingElsewhere"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class BodyType(enum.Enum):
    """Graph's bodyType."""

    TEXT = "text"
    HTML = "html"


class LocationType(enum.Enum):
    """Graph's locationType."""

    DEFAULT = "default"
    CONFERENCE_ROOM = "conferenceRoom"
    HOME_ADDRESS = "homeAddress"
    BUSINESS_ADDRESS = "businessAddress"
    GEO_COORDINATES = "geoCoordinates"
    STREET_ADDRESS = "streetAddress"
    HOTEL = "hotel"
    RESTAURANT = "restaurant"
    LOCAL_BUSINESS = "localBusiness"
    POSTAL_ADDRESS = "postalAddress"


class LocationUniqueIdType(enum.Enum):
    """Graph's locationUniqueIdType."""

    UNKNOWN = "unknown"
    LOCATION_STORE = "locationStore"
    DIRECTORY = "directory"
    PRIVATE = "private"
    BING = "bing"


class AttendeeType(enum.Enum):
    """Graph's attendeeType."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    RESOURCE = "resource"


class ResponseType(enum.Enum):
    """Graph's responseType."""

    NONE = "none"
    ORGANIZER = "organizer"
    TENTATIVELY_ACCEPTED = "tentativelyAccepted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_RESPONDED = "notResponded"


# -- msgspec ---------------------------------------------------------------------------------------


class Struct(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of the msgspec shapes."""


class ItemBodyStruct(Struct):
    content_type: BodyType | None = None
    content: str | None = None


class DateTimeTimeZoneStruct(Struct):
    date_time: str | None = None
    time_zone: str | None = None


class LocationStruct(Struct):
    display_name: str | None = None
    location_type: LocationType | None = None
    unique_id: str | None = None
    unique_id_type: LocationUniqueIdType | None = None
    location_uri: str | None = None
    location_email_address: str | None = None


class EmailAddressStruct(Struct):
    name: str | None = None
    address: str | None = None


class ResponseStatusStruct(Struct):
    response: ResponseType | None = None
    time: datetime.datetime | None = None


class RecipientStruct(Struct):
    email_address: EmailAddressStruct | None = None


class AttendeeStruct(RecipientStruct):
    type: AttendeeType | None = None
    status: ResponseStatusStruct | None = None


class EventStruct(Struct):
    etag: str | None = msgspec.field(default=None, name="@odata.etag")
    id: str | None = None
    created_date_time: datetime.datetime | None = None
    last_modified_date_time: datetime.datetime | None = None
    change_key: str | None = None
    categories: list[str] = []
    subject: str | None = None
    body_preview: str | None = None
    importance: Importance | None = None
    is_all_day: bool | None = None
    is_cancelled: bool | None = None
    show_as: FreeBusyStatus | None = None
    body: ItemBodyStruct | None = None
    start: DateTimeTimeZoneStruct | None = None
    end: DateTimeTimeZoneStruct | None = None
    location: LocationStruct | None = None
    attendees: list[AttendeeStruct] = []
    organizer: RecipientStruct | None = None
    web_link: str | None = None


class StructPage(Struct):
    context: str | None = msgspec.field(default=None, name="@odata.context")
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    value: list[EventStruct] = []


_MSGSPEC = msgspec.json.Decoder(StructPage)


def msgspec_events(data: bytes) -> list[EventStruct]:
    """The page's events as msgspec Structs."""
    return _MSGSPEC.decode(data).value


# -- pydantic v2 -----------------------------------------------------------------------------------


class Model(pydantic.BaseModel):
    """Base of the pydantic shapes: camelCase aliases, unknown members ignored (pydantic's default)."""

    model_config = pydantic.ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ItemBodyModel(Model):
    content_type: BodyType | None = None
    content: str | None = None


class DateTimeTimeZoneModel(Model):
    date_time: str | None = None
    time_zone: str | None = None


class LocationModel(Model):
    display_name: str | None = None
    location_type: LocationType | None = None
    unique_id: str | None = None
    unique_id_type: LocationUniqueIdType | None = None
    location_uri: str | None = None
    location_email_address: str | None = None


class EmailAddressModel(Model):
    name: str | None = None
    address: str | None = None


class ResponseStatusModel(Model):
    response: ResponseType | None = None
    time: datetime.datetime | None = None


class RecipientModel(Model):
    email_address: EmailAddressModel | None = None


class AttendeeModel(RecipientModel):
    type: AttendeeType | None = None
    status: ResponseStatusModel | None = None


class EventModel(Model):
    etag: str | None = pydantic.Field(default=None, alias="@odata.etag")
    id: str | None = None
    created_date_time: datetime.datetime | None = None
    last_modified_date_time: datetime.datetime | None = None
    change_key: str | None = None
    categories: list[str] = []
    subject: str | None = None
    body_preview: str | None = None
    importance: Importance | None = None
    is_all_day: bool | None = None
    is_cancelled: bool | None = None
    show_as: FreeBusyStatus | None = None
    body: ItemBodyModel | None = None
    start: DateTimeTimeZoneModel | None = None
    end: DateTimeTimeZoneModel | None = None
    location: LocationModel | None = None
    attendees: list[AttendeeModel] = []
    organizer: RecipientModel | None = None
    web_link: str | None = None


class ModelPage(Model):
    context: str | None = pydantic.Field(default=None, alias="@odata.context")
    next_link: str | None = pydantic.Field(default=None, alias="@odata.nextLink")
    value: list[EventModel] = []


_PYDANTIC = pydantic.TypeAdapter(ModelPage)


def pydantic_events(data: bytes) -> list[EventModel]:
    """The page's events as pydantic models, validated from the JSON bytes in pydantic-core."""
    return _PYDANTIC.validate_json(data).value
