//! What the API reads and writes of members' notifications: the inbox (list, unread count, read
//! marks), preferences, and the administrators' view of failed deliveries.
