-- Unfinished uploads staged in the home region's store (docs/integrating.md,
-- "Where the bytes wait"): when the home region is an S3 store, an upload's
-- bytes wait in an S3 multipart upload rather than one API instance's spool,
-- and this column holds what is committed of it (the multipart upload's id,
-- its whole parts with their ETags, and the tail object with the bytes past
-- the last part), written under the upload's claim with `received`.
ALTER TABLE uploads ADD COLUMN staging jsonb;
