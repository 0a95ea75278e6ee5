// Structured types of the calendar model. Declared outside a namespace so that the OData
// service exposes them under short names (CalendarService.Attendee, not
// CalendarService.odatakit_calendar_Attendee).

type DateTimeTimeZone {
  // Graph's form: local wall time without offset ("2024-05-01T09:00:00.0000000") and its zone.
  dateTime : String(40);
  timeZone : String(80);
}

type ResponseStatus {
  response : String(20); // none, organizer, tentativelyAccepted, accepted, declined, notResponded
  time     : Timestamp;
}

type Location {
  displayName  : String(200);
  locationType : String(40);
}

type EmailAddress {
  name    : String(200);
  address : String(200);
}

type Attendee {
  type         : String(20); // required, optional, resource
  emailAddress : EmailAddress;
}

type RecurrencePattern {
  type           : String(30); // daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly
  interval       : Integer;
  daysOfWeek     : many String(10);
  dayOfMonth     : Integer;
  month          : Integer;
  firstDayOfWeek : String(10);
  index          : String(10);
}

type RecurrenceRange {
  type                : String(20); // endDate, noEnd, numbered
  startDate           : Date;
  endDate             : Date;
  numberOfOccurrences : Integer;
  recurrenceTimeZone  : String(80);
}

type PatternedRecurrence {
  pattern : RecurrencePattern;
  range   : RecurrenceRange;
}
