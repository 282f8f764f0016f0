-- Up Migration

-- Spec 000 names the deficiency "missing_error_handling_requirements"; learnloop called it "missing_error_handling".
-- Stored analyses (incidents.analysis: [{ type, ... }]) and cycle reports (learning_cycles.report: systematicIssues
-- [{ deficiencyType, description }] and the recommendations that repeat each description) take the spec's name.
-- Only whole JSON string values are renamed ('"missing_error_handling"', quotes included) and the description's
-- spelled-out form; findings are not re-analysed (an old behavioral deviation stays as it was classified then).
UPDATE incidents
   SET analysis = replace(analysis::text, '"missing_error_handling"', '"missing_error_handling_requirements"')::jsonb
 WHERE analysis::text LIKE '%"missing_error_handling"%';

UPDATE learning_cycles
   SET report = replace(replace(report::text, '"missing_error_handling"', '"missing_error_handling_requirements"'),
                        'trace to missing error handling in ', 'trace to missing error handling requirements in ')::jsonb
 WHERE report::text LIKE '%"missing_error_handling"%';

-- Down Migration

UPDATE incidents
   SET analysis = replace(analysis::text, '"missing_error_handling_requirements"', '"missing_error_handling"')::jsonb
 WHERE analysis::text LIKE '%"missing_error_handling_requirements"%';

UPDATE learning_cycles
   SET report = replace(replace(report::text, '"missing_error_handling_requirements"', '"missing_error_handling"'),
                        'trace to missing error handling requirements in ', 'trace to missing error handling in ')::jsonb
 WHERE report::text LIKE '%"missing_error_handling_requirements"%';
