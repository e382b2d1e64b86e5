-- The video's lifecycle moved out of the database: the jobs a status change
-- starts (edge warming on playable and ready, purging on delete) are enqueued
-- by ReelPipeline's VideoTransitions in the same transaction as the change,
-- where the state machine (VideoLifecycle) says which. The trigger that did it
-- here goes.
DROP TRIGGER IF EXISTS videos_edge_jobs ON videos;
DROP FUNCTION IF EXISTS reel_edge_jobs();
