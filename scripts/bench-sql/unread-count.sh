#!/bin/sh
# The unread count (`GET /api/v1/me/notifications/unread-count`) on PostgreSQL: 150,000 members
# with 20 items each (3,000,000 rows, 5 unread per member), the inbox's two indexes as migration
# m20261204_000014 creates them, then the count's statement under pgbench (8 clients, 15 s).
# Usage: scripts/bench-sql/unread-count.sh [PSQL connection options, default -h 127.0.0.1 -U postgres]
set -eu
OPTS=${*:--h 127.0.0.1 -U postgres}
DB=handbook_unread_bench
psql $OPTS -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql $OPTS -d $DB -q <<'SQL'
CREATE TABLE notifications (id uuid PRIMARY KEY, member_id uuid NOT NULL, event_id uuid NOT NULL, kind varchar(64) NOT NULL,
  object_type varchar(32) NOT NULL, object_id uuid NOT NULL, params text NOT NULL, urgent boolean NOT NULL,
  created_at timestamptz NOT NULL, read_at timestamptz);
CREATE INDEX ix_notifications_member ON notifications (member_id, id);
CREATE INDEX ix_notifications_unread ON notifications (member_id) WHERE read_at IS NULL;
CREATE TABLE mlist AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, 150000) g;
CREATE UNIQUE INDEX ON mlist (n);
INSERT INTO notifications SELECT gen_random_uuid(), m.id, gen_random_uuid(), 'meeting.published', 'meeting', gen_random_uuid(),
  '{"title":"Sinh hoạt chi bộ tháng 12"}', false, now() - (k || ' hours')::interval, CASE WHEN k > 5 THEN now() END
  FROM mlist m, generate_series(1, 20) k;
VACUUM ANALYZE notifications;
VACUUM ANALYZE mlist;
SQL
psql $OPTS -d $DB -c "EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) AS n FROM notifications WHERE member_id = (SELECT id FROM mlist WHERE n = 4242) AND read_at IS NULL"
SCRIPT=$(mktemp)
LOGDIR=$(mktemp -d)
cat > "$SCRIPT" <<'SQL'
\set r random(1, 150000)
SELECT COUNT(*) AS n FROM notifications WHERE member_id = (SELECT id FROM mlist WHERE n = :r) AND read_at IS NULL;
SQL
pgbench $OPTS -n -c 8 -j 2 -T 15 -l --log-prefix="$LOGDIR/pgb" -f "$SCRIPT" $DB | grep -E "latency average|tps"
cat "$LOGDIR"/pgb* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print "statements="NR, "p50_us="a[int(NR*0.5)], "p95_us="a[int(NR*0.95)], "p99_us="a[int(NR*0.99)]}'
rm -rf "$SCRIPT" "$LOGDIR"
psql $OPTS -qc "DROP DATABASE $DB"
