// The calendar data model: a small Microsoft Graph-like subset (users, calendar groups,
// calendars, events, attachments), camelCase names as Graph spells them.
namespace odatakit.calendar;

using { DateTimeTimeZone, ResponseStatus, Location, Attendee, PatternedRecurrence } from './types';

type Importance     : String(10) enum { low; normal; high; }
type FreeBusyStatus : String(20) enum { unknown; free; tentative; busy; oof; workingElsewhere; }
type EventType      : String(20) enum { singleInstance; occurrence; exception; seriesMaster; }
type CalendarColor  : String(20) enum { auto; lightBlue; lightGreen; lightOrange; lightGray; lightYellow; lightTeal; lightPink; lightBrown; lightRed; maxColor; }

entity Users {
  key id                : String(100);
      displayName       : String(200);
      mail              : String(200);
      userPrincipalName : String(200);
      // The profile photo: a stream property (GET/PUT .../photo), always a JPEG.
      @Core.MediaType: 'image/jpeg'
      photo             : LargeBinary;
      calendarGroups    : Composition of many CalendarGroups on calendarGroups.owner = $self;
      calendars         : Composition of many Calendars on calendars.owner = $self;
      events            : Association to many Events on events.owner = $self;
}

entity CalendarGroups {
  key id        : String(100);
      name      : String(200);
      classId   : UUID;
      changeKey : String(100);
      owner     : Association to Users;
      calendars : Association to many Calendars on calendars.calendarGroup = $self;
}

entity Calendars {
  key id                : String(100);
      name              : String(200);
      color             : CalendarColor default 'auto';
      isDefaultCalendar : Boolean default false;
      canEdit           : Boolean default true;
      owner             : Association to Users;
      calendarGroup     : Association to CalendarGroups;
      events            : Composition of many Events on events.calendar = $self;
}

entity Events {
  key id                         : String(200);
      // The ETag (If-Match): a new value on every change, as Graph's changeKey.
      @odata.etag
      changeKey                  : String(100);
      createdDateTime            : Timestamp;
      lastModifiedDateTime       : Timestamp;
      subject                    : String(255);
      bodyPreview                : String(1000);
      importance                 : Importance default 'normal';
      isAllDay                   : Boolean default false;
      isCancelled                : Boolean default false;
      isReminderOn               : Boolean default true;
      reminderMinutesBeforeStart : Integer default 15;
      // Set by snoozeReminder: when the reminder comes back.
      reminderSnoozedUntil       : DateTimeTimeZone;
      start                      : DateTimeTimeZone;
      ![end]                     : DateTimeTimeZone;
      showAs                     : FreeBusyStatus default 'busy';
      type                       : EventType default 'singleInstance';
      categories                 : many String(50);
      location                   : Location;
      attendees                  : many Attendee;
      recurrence                 : PatternedRecurrence;
      responseStatus             : ResponseStatus;
      // The comment and sendResponse flag of the last accept / decline / tentativelyAccept / cancel.
      responseComment            : String(1000);
      responseSent               : Boolean;
      owner                      : Association to Users;
      calendar                   : Association to Calendars;
      attachments                : Composition of many Attachments on attachments.event = $self;
}

entity Attachments {
  key id                   : String(200);
      name                 : String(255);
      contentType          : String(100);
      size                 : Integer;
      isInline             : Boolean default false;
      lastModifiedDateTime : Timestamp;
      contentBytes         : Binary(5000);
      // The attachment's bytes as a stream property (GET/PUT .../content), of the media type in contentType.
      @Core.MediaType: contentType
      content              : LargeBinary;
      event                : Association to Events;
}
