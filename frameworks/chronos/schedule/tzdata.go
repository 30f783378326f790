package schedule

// Schedules name IANA zones (scheduleTimeZone); embedding the database
// makes them resolve the same on hosts and in containers that lack
// /usr/share/zoneinfo.
import _ "time/tzdata"
