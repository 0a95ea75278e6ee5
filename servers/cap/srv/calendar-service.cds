using { odatakit.calendar as db } from '../db/schema';
using { DateTimeTimeZone as DTTZ } from '../db/types';

// Served at /odata/v4/calendar. Server-driven paging: 5 items a page unless $top says otherwise.
@path: '/odata/v4/calendar'
@cds.query.limit: { default: 5, max: 1000 }
service CalendarService {

  @cds.redirection.target
  entity users as projection on db.Users actions {
    // Events of the user's calendars overlapping [startDateTime, endDateTime), ordered by start.
    function calendarView(startDateTime : Timestamp not null, endDateTime : Timestamp not null) returns many events;
  };

  // The signed-in user (Adele Vance): a singleton with the navigations of a user.
  @odata.singleton
  entity me as projection on db.Users where id = 'adele' actions {
    function calendarView(startDateTime : Timestamp not null, endDateTime : Timestamp not null) returns many events;
  };

  entity calendarGroups as projection on db.CalendarGroups;

  entity calendars as projection on db.Calendars actions {
    function calendarView(startDateTime : Timestamp not null, endDateTime : Timestamp not null) returns many events;
  };

  entity events as projection on db.Events actions {
    action accept(comment : String, sendResponse : Boolean);
    action decline(comment : String, sendResponse : Boolean);
    action tentativelyAccept(comment : String, sendResponse : Boolean);
    action cancel(comment : String);
    action snoozeReminder(newReminderTime : DTTZ);
    action dismissReminder();
  };

  entity attachments as projection on db.Attachments;
}
