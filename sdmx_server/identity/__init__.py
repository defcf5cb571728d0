"""Who a caller is, below storage and access: the declared roles (policy), the caller (actor), credential
hashing (passwords) and the username rule (usernames). Pure: no Flask, no database; storage and access both
import it, it imports neither."""
